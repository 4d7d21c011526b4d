#pragma once
// Answers parsed requests with the built-in commands of docs/factory-protocol.md. Each answer is one
// complete line (sentinel, id, ok/err, JSON, CRC, newline) written into the caller's buffer; nothing is
// written to the console here (the Console does that).
#include <stddef.h>
#include <stdint.h>

#include "frame.hpp"
#include "hal.hpp"
#include "json_reader.hpp"
#include "json_writer.hpp"

namespace vesper_factory {

// The err codes of the protocol.
enum class ErrorCode : uint8_t { unknown_command, bad_args, hw_error, busy };
const char* error_code_name(ErrorCode code);

// Limits of the commands' arguments (and of the scratch space they need).
constexpr uint8_t kMaxOutputs = 32;  // outputs: count 1..32
constexpr size_t kMaxGpioPairs = 16; // gpio: at most 16 pairs
constexpr size_t kMaxNetworks = 20;  // wifi_scan: max 1..20 (default 10)
constexpr size_t kMaxMessage = 96;   // an err answer's message, NUL included

struct FirmwareInfo {
    const char* name = "";
    const char* version = "";
};

// A short text built piece by piece into a fixed buffer (an err message); silently cut at its end.
class Message {
public:
    Message& add(const char* text);
    Message& add(const char* text, size_t len);
    Message& add_uint(uint32_t value);
    void clear() { len_ = 0, buf_[0] = '\0'; }
    const char* c_str() const { return buf_; }

private:
    char buf_[kMaxMessage] = {};
    size_t len_ = 0;
};

// Scratch space the commands share (kept out of the stack: the loop task's stack is small).
struct CommandScratch {
    WifiNetwork networks[kMaxNetworks];
    GpioPair pairs[kMaxGpioPairs];
};

// What a command handler works with. It writes its answer's members into out (the dispatcher opens
// and closes the object); to fail it calls fail() and returns false.
struct CommandContext {
    CommandContext(Hal& h, const FirmwareInfo& f, const JsonReader& a, JsonWriter& o, CommandScratch& s)
        : hal(h), fw(f), args(a), out(o), scratch(s) {}

    Hal& hal;
    const FirmwareInfo& fw;
    const JsonReader& args; // parsed; token 0 is the args object
    JsonWriter& out;
    CommandScratch& scratch;
    ErrorCode error = ErrorCode::hw_error;
    Message message;
    bool reboot_after = false; // set by reboot: restart once the answer is out

    bool fail(ErrorCode code, const char* text) {
        error = code;
        message.clear();
        message.add(text);
        return false;
    }
};

using CommandFn = bool (*)(CommandContext& ctx);

struct Command {
    const char* name;
    CommandFn run;
};

// The built-in commands, in the order the hello event lists them as caps (commands.cpp).
extern const Command kCommands[];
extern const size_t kCommandCount;

// Writes the members of the hello object (proto, fw, fw_version, app_sha256, caps) into out.
void write_hello(Hal& hal, const FirmwareInfo& fw, JsonWriter& out);

class Dispatcher {
public:
    void begin(Hal& hal, const char* fw_name, const char* fw_version);

    // The answer line to req into out (cap >= kMaxAnswerLine + 1); returns its length, newline included.
    // An answer that would be longer than kMaxAnswerLine becomes err hw_error.
    size_t answer(const Request& req, char* out, size_t cap);
    // The hello event line (id 0) into out; returns its length.
    size_t hello_event(char* out, size_t cap);
    // Whether the last answer was to a reboot: the caller restarts once that answer is written.
    bool reboot_requested() const { return reboot_; }

private:
    size_t error_line(uint16_t id, ErrorCode code, const char* message, char* out, size_t cap);

    Hal* hal_ = nullptr;
    FirmwareInfo fw_;
    JsonReader args_;
    CommandScratch scratch_;
    bool reboot_ = false;
};

} // namespace vesper_factory
