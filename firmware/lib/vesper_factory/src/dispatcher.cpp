#include "dispatcher.hpp"

#include <string.h>

namespace vesper_factory {

const char* error_code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::unknown_command: return "unknown_command";
    case ErrorCode::bad_args: return "bad_args";
    case ErrorCode::hw_error: return "hw_error";
    case ErrorCode::busy: return "busy";
    }
    return "hw_error";
}

Message& Message::add(const char* text) { return add(text, strlen(text)); }

Message& Message::add(const char* text, size_t len) {
    for (size_t i = 0; i < len && len_ + 1 < sizeof buf_; ++i)
        buf_[len_++] = text[i];
    buf_[len_] = '\0';
    return *this;
}

Message& Message::add_uint(uint32_t value) {
    char text[10];
    return add(text, format_uint(value, text));
}

void write_hello(Hal& hal, const FirmwareInfo& fw, JsonWriter& out) {
    out.field_uint("proto", 1);
    out.field("fw", fw.name);
    out.field("fw_version", fw.version);
    char sha[65];
    if (hal.app_sha256_hex(sha)) {
        sha[64] = '\0';
        out.field("app_sha256", sha);
    } else {
        out.field_null("app_sha256");
    }
    out.key("caps");
    out.begin_array();
    for (size_t i = 0; i < kCommandCount; ++i)
        out.string(kCommands[i].name);
    out.end_array();
}

void Dispatcher::begin(Hal& hal, const char* fw_name, const char* fw_version) {
    hal_ = &hal;
    fw_.name = fw_name ? fw_name : "";
    fw_.version = fw_version ? fw_version : "";
    reboot_ = false;
}

size_t Dispatcher::error_line(uint16_t id, ErrorCode code, const char* message, char* out, size_t cap) {
    const size_t prefix = begin_line(out, cap, id, "err");
    if (prefix == 0) return 0;
    JsonWriter w(out + prefix, kMaxAnswerLine - kLineTailSize - prefix + 1);
    w.begin_object();
    w.field("code", error_code_name(code));
    w.field("message", message);
    w.end_object();
    if (w.overflow()) return 0;
    return finish_line(out, cap, prefix + w.size());
}

size_t Dispatcher::hello_event(char* out, size_t cap) {
    if (hal_ == nullptr || cap < kMaxAnswerLine + 1) return 0;
    const size_t prefix = begin_line(out, cap, 0, "hello");
    JsonWriter w(out + prefix, kMaxAnswerLine - kLineTailSize - prefix + 1);
    w.begin_object();
    write_hello(*hal_, fw_, w);
    w.end_object();
    if (w.overflow()) return 0;
    return finish_line(out, cap, prefix + w.size());
}

size_t Dispatcher::answer(const Request& req, char* out, size_t cap) {
    reboot_ = false;
    if (hal_ == nullptr || cap < kMaxAnswerLine + 1) return 0;

    const Command* command = nullptr;
    for (size_t i = 0; i < kCommandCount; ++i)
        if (strcmp(kCommands[i].name, req.word) == 0) command = &kCommands[i];
    if (command == nullptr) {
        Message m;
        m.add("unknown command '").add(req.word).add("'");
        return error_line(req.id, ErrorCode::unknown_command, m.c_str(), out, cap);
    }
    if (!args_.parse(req.json, req.json_len) || args_.type(0) != JsonType::object)
        return error_line(req.id, ErrorCode::bad_args,
                          "args are not a JSON object (or nest deeper than 8, or hold more than 64 values)", out, cap);

    const size_t prefix = begin_line(out, cap, req.id, "ok");
    JsonWriter w(out + prefix, kMaxAnswerLine - kLineTailSize - prefix + 1);
    CommandContext ctx{*hal_, fw_, args_, w, scratch_};
    w.begin_object();
    const bool ok = command->run(ctx);
    w.end_object();
    if (!ok) return error_line(req.id, ctx.error, ctx.message.c_str(), out, cap);
    if (w.overflow()) return error_line(req.id, ErrorCode::hw_error, "answer longer than 1024 bytes", out, cap);
    reboot_ = ctx.reboot_after;
    return finish_line(out, cap, prefix + w.size());
}

} // namespace vesper_factory
