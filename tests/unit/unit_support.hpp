#pragma once
// Small helpers the unit tests share. Header-only.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "vesper/core/error.hpp"

namespace vesper::test {

// The vesper::Error `f` throws; a test failure when it throws nothing.
inline Error error_from(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("expected vesper::Error, nothing was thrown");
    return Error(ErrorKind::internal, "unreachable");
}

// What the input error `f` throws says, or "accepted" when it throws nothing (for tests that compare
// the text of many inputs' answers).
inline std::string input_error_text(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        return e.what();
    }
    return "accepted";
}

// `text` with the first `from` replaced by `to`; a test failure when `from` is not there.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

} // namespace vesper::test
