#pragma once
// The one-line error object a --json run that failed prints on stderr (docs/cli.md), checked against
// its code's row of the table: code, kind and exit code as the row says, a message and a hint.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "run_process.hpp"
#include "vesper/core/error.hpp"

namespace vesper::test {

inline nlohmann::json json_error_object(const ProcessResult& r, const std::string& code) {
    INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
    const auto codes = all_error_codes();
    const auto row = std::find_if(codes.begin(), codes.end(), [&](const auto& c) { return c.name == code; });
    REQUIRE(row != codes.end());
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    nlohmann::json doc;
    REQUIRE_NOTHROW(doc = nlohmann::json::parse(r.err));
    const nlohmann::json e = doc.at("error");
    CHECK(e.at("code") == code);
    CHECK(e.at("kind") == to_string(row->kind));
    CHECK(e.at("exit_code") == exit_code_for(row->kind));
    CHECK(r.exit_code == exit_code_for(row->kind));
    CHECK(!e.at("message").get<std::string>().empty());
    CHECK(!e.at("hint").get<std::string>().empty());
    return e;
}

} // namespace vesper::test
