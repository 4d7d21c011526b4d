#include "console.hpp"

namespace vesper_factory {

void Console::begin(Hal& hal, const char* fw_name, const char* fw_version) {
    hal_ = &hal;
    dispatcher_.begin(hal, fw_name, fw_version);
    assembler_.reset();
    counters_ = RxCounters{};
    answered_ = 0;
    uint8_t flag = 0;
    const bool tested = hal.factory_flag_read(flag) && flag == 1;
    state_ = tested ? State::listening : State::active;
    if (state_ == State::active) write(out_, dispatcher_.hello_event(out_, sizeof out_));
}

bool Console::window_passed() {
    if (state_ == State::listening && hal_->millis() >= kListenWindowMs) {
        state_ = State::off;
        assembler_.reset();
    }
    return state_ == State::off;
}

void Console::poll() {
    if (state_ == State::listening) window_passed();
}

void Console::feed(const uint8_t* data, size_t len) {
    if (state_ == State::off || data == nullptr) return;
    for (size_t i = 0; i < len; ++i) {
        if (!assembler_.feed(data[i], counters_)) continue;
        if (window_passed()) return; // the request came too late: off for good
        handle_line();
    }
}

void Console::handle_line() {
    Request req;
    switch (parse_request(assembler_.line(), assembler_.size(), req)) {
    case ParseResult::not_protocol: ++counters_.ignored; return;
    case ParseResult::bad_crc: ++counters_.bad_crc; return;
    case ParseResult::ok: break;
    }
    if (state_ == State::listening) {
        state_ = State::active;
        write(out_, dispatcher_.hello_event(out_, sizeof out_));
    }
    // req points into the assembler's line, which stays put until the next byte is fed.
    const size_t n = dispatcher_.answer(req, out_, sizeof out_);
    write(out_, n);
    ++answered_;
    if (dispatcher_.reboot_requested()) hal_->request_reboot();
}

void Console::write(const char* data, size_t len) {
    if (state_ == State::active && len > 0) hal_->console_write(data, len);
}

} // namespace vesper_factory
