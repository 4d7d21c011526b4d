// The companion firmware: the factory console (lib/vesper_factory) in front of the product firmware.
// docs/firmware.md describes when the console speaks; docs/factory-protocol.md what it says.
#include <Arduino.h>
#include <vesper_factory.hpp>

#include "arduino_hal.hpp"

namespace {

constexpr const char* kFirmwareName = "vesper-factory";
constexpr const char* kFirmwareVersion = "1.0.0";

// Static, not on the loop task's stack: the console holds about 2.6 KB of fixed buffers.
vesper_board::ArduinoHal hal;
vesper_factory::Console console;

// Hands the bytes waiting on the console UART to the factory console, while it listens or runs.
void feed_console() {
    if (console.state() == vesper_factory::Console::State::off) return; // the product owns Serial now
    uint8_t buf[64];
    while (Serial.available() > 0) {
        const size_t n = Serial.read(buf, sizeof buf);
        if (n == 0) break;
        console.feed(buf, n);
    }
}

} // namespace

void setup() {
    Serial.begin(115200);
    hal.begin();
    console.begin(hal, kFirmwareName, kFirmwareVersion);

    // ---- the product's own setup goes here. It must not wait on Serial input: on a tested board the
    // console listens for the first 3 s, and on an untested one it owns the UART's input.
}

void loop() {
    feed_console();
    console.poll();

    // ---- the product's own loop goes here (non-blocking, so the console is served).
}
