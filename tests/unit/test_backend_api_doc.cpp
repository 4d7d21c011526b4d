// The API contract's two forms agree: docs/openapi/vesper-backend.yaml is valid YAML (read by the
// project's own parser) with every path, method and status that docs/backend-api.md names, every $ref
// resolves, and every error code the page lists is one the reference server (tools/backend) answers.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "temp_dir.hpp"
#include "vesper/yaml/tree.hpp"

using vesper::test::text_of;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = VESPER_SOURCE_DIR;

const vesper::yaml::Node* child(const vesper::yaml::Node& map, const std::string& key) {
    if (map.kind != vesper::yaml::Kind::map) return nullptr;
    for (const auto& e : map.entries)
        if (e.key.scalar == key) return &e.value;
    return nullptr;
}

// Every "$ref: '#/a/b/c'" in the tree.
void collect_refs(const vesper::yaml::Node& n, std::set<std::string>& out) {
    for (const auto& e : n.entries) {
        if (e.key.scalar == "$ref") out.insert(e.value.scalar);
        collect_refs(e.value, out);
    }
    for (const auto& item : n.items)
        collect_refs(item, out);
}

// The operation's responses, following a path item's $ref-free structure.
std::set<std::string> statuses_of(const vesper::yaml::Node& doc, const std::string& path, const std::string& method) {
    std::set<std::string> out;
    const auto* paths = child(doc, "paths");
    const auto* item = paths ? child(*paths, path) : nullptr;
    const auto* op = item ? child(*item, method) : nullptr;
    const auto* responses = op ? child(*op, "responses") : nullptr;
    if (responses)
        for (const auto& e : responses->entries)
            out.insert(e.key.scalar);
    return out;
}

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

TEST_CASE("backend API doc: the OpenAPI file parses and covers every operation and status of the page",
          "[backend][docs]") {
    const std::string yaml_text = text_of(kSource / "docs/openapi/vesper-backend.yaml");
    const std::string page = text_of(kSource / "docs/backend-api.md");
    REQUIRE_FALSE(yaml_text.empty());
    REQUIRE_FALSE(page.empty());
    const vesper::yaml::Node doc = vesper::yaml::parse(yaml_text, "vesper-backend.yaml");
    REQUIRE(doc.kind == vesper::yaml::Kind::map);
    REQUIRE(child(doc, "openapi"));
    CHECK_THAT(child(doc, "openapi")->scalar, Catch::StartsWith("3.0."));

    // Each "## METHOD /path" section: the operation exists and has every status the section names, in
    // a table row ("| 429, 503 |") or in backticks ("`413 bulk.too_large`").
    const std::regex heading(R"(^## (?:.*: )?(GET|PUT|POST|DELETE) (/\S+)\s*$)");
    const std::regex row(R"(^\| ([0-9]{3}(?:, [0-9]{3})*) \|)");
    const std::regex inline_status("`([0-9]{3})[ `]");
    const std::regex three_digits("[0-9]{3}");
    std::string method, path;
    int operations = 0, statuses = 0;
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_match(line, m, heading)) {
            method = lower(m[1]);
            path = m[2];
            ++operations;
            INFO(method << " " << path);
            CHECK_FALSE(statuses_of(doc, path, method).empty());
            continue;
        }
        if (line.rfind("## ", 0) == 0) {
            method.clear();
            continue;
        }
        if (method.empty()) continue;
        std::set<std::string> named;
        if (std::regex_search(line, m, row))
            for (std::sregex_iterator it(line.begin(), line.end(), three_digits), end; it != end; ++it)
                if (it->position() < m.length(0)) named.insert(it->str());
        for (std::sregex_iterator it(line.begin(), line.end(), inline_status), end; it != end; ++it)
            named.insert((*it)[1]);
        const auto have = statuses_of(doc, path, method);
        for (const std::string& s : named) {
            ++statuses;
            INFO(method << " " << path << " status " << s << " (docs/backend-api.md: " << line << ")");
            CHECK(have.count(s) == 1);
        }
    }
    CHECK(operations == 5); // PUT, POST bulk, GET one, GET list, GET _stats
    CHECK(statuses >= 13);  // as the page stands: so a broken pattern cannot pass by finding none

    // Every $ref points at a component that exists.
    std::set<std::string> refs;
    collect_refs(doc, refs);
    CHECK(refs.size() > 10);
    for (const std::string& ref : refs) {
        INFO(ref);
        REQUIRE(ref.rfind("#/", 0) == 0);
        const vesper::yaml::Node* at = &doc;
        std::istringstream parts(ref.substr(2));
        for (std::string part; at && std::getline(parts, part, '/');)
            at = child(*at, part);
        CHECK(at != nullptr);
    }
}

TEST_CASE("backend API doc: every error code of the page is one vesper-backend answers", "[backend][docs]") {
    const std::string page = text_of(kSource / "docs/backend-api.md");
    std::string server;
    for (const auto& f : fs::directory_iterator(kSource / "tools/backend"))
        if (f.path().extension() == ".cpp") server += text_of(f.path());
    REQUIRE_FALSE(server.empty());
    // The errors table: "| STATUS | `code` ... |"; codes are area.what.
    const std::regex code_cell(R"(`([a-z_]+\.[a-z_]+)`)");
    const std::string table =
        page.substr(page.find("## Errors"), page.find("## The device record") - page.find("## Errors"));
    int codes = 0;
    for (std::sregex_iterator it(table.begin(), table.end(), code_cell), end; it != end; ++it) {
        ++codes;
        INFO((*it)[1]);
        CHECK(server.find("\"" + std::string((*it)[1]) + "\"") != std::string::npos);
    }
    CHECK(codes >= 15);
}
