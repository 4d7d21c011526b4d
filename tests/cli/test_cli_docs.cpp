// The exit codes the docs promise, checked against the code and against each other: docs/cli.md's
// exit-code table holds every code vesperctl can end with (each error kind's, CLI11's usage errors',
// what a signal ends it with), every "exit N" in docs/*.md names a code of that table, and where
// docs/cli.md and a command's own page both state the code of a situation, both state the code the
// real binary gives for it. Its "Error codes" table lists every code of the error code table, each with
// its kind and exit code, and nothing else.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "background_process.hpp"
#include "run_process.hpp"
#include "vesper/core/error_kinds.hpp"
#include "vesper/core/text.hpp"

using vesper::test::TempDir;
namespace fs = std::filesystem;

namespace {

const fs::path kDocs = fs::path(VESPER_SOURCE_DIR) / "docs";

std::string doc(const std::string& name) {
    std::ifstream in(kDocs / name);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const std::string& text) { return vesper::split(text, '\n'); }

// The cells of a Markdown table row, trimmed; `\|` stays inside its cell.
std::vector<std::string> cells(const std::string& row) {
    std::vector<std::string> out;
    std::string cell;
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) {
            out.emplace_back(vesper::trim(cell));
            cell.clear();
        } else {
            cell += row[i];
        }
    }
    out.emplace_back(vesper::trim(cell));
    // "| a | b |" splits into "", "a", "b", "": drop the outer empties.
    if (!out.empty() && out.front().empty()) out.erase(out.begin());
    if (!out.empty() && out.back().empty()) out.pop_back();
    return out;
}

// The leading number of a text ("3 missing CSV" -> 3), or -1.
int leading_code(const std::string& text) {
    std::smatch m;
    const std::string t(vesper::trim(text));
    return std::regex_search(t, m, std::regex(R"(^(\d+)\b)")) ? std::stoi(m[1]) : -1;
}

// docs/cli.md's "## Exit codes" table: code -> kind (empty for 0).
std::map<int, std::string> exit_table() {
    std::map<int, std::string> table;
    bool in_section = false;
    for (const auto& line : lines_of(doc("cli.md"))) {
        if (line.rfind("## ", 0) == 0) in_section = line == "## Exit codes";
        if (!in_section || line.rfind("| ", 0) != 0) continue;
        const auto c = cells(line);
        const int code = leading_code(c.at(0));
        if (code >= 0) table[code] = c.size() > 1 ? c[1] : "";
    }
    return table;
}

// Every "exit N" / "exits with N" / "exit code N" in a text, with the line it is on.
std::vector<std::pair<int, std::string>> exit_claims(const std::string& text) {
    std::vector<std::pair<int, std::string>> out;
    const std::regex claim(R"(\bexit(?:s|ed)?(?:\s+(?:code|with))?\s+(\d+))", std::regex::icase);
    for (const auto& line : lines_of(text))
        for (auto it = std::sregex_iterator(line.begin(), line.end(), claim); it != std::sregex_iterator(); ++it)
            out.emplace_back(std::stoi((*it)[1]), line);
    return out;
}

// The clauses of docs/cli.md's exit-code cells ("0; 2 CSV error ...; 3 missing CSV"), by the row's
// first cell: the codes the command summaries promise.
std::vector<std::pair<std::string, std::string>> command_exit_clauses() {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t exit_column = 0;
    for (const auto& line : lines_of(doc("cli.md"))) {
        if (line.rfind("| ", 0) != 0) {
            exit_column = 0;
            continue;
        }
        const auto c = cells(line);
        if (exit_column == 0) {
            for (std::size_t i = 0; i < c.size(); ++i)
                if (c[i] == "exit codes") exit_column = i;
            continue;
        }
        if (exit_column >= c.size() || c[exit_column].rfind("---", 0) == 0) continue;
        for (const auto& clause : vesper::split(c[exit_column], ';'))
            out.emplace_back(c[0], std::string(vesper::trim(clause)));
    }
    return out;
}

// The code docs/cli.md's row starting with `row` gives the clause mentioning `phrase`; -1 if none does.
int cli_row_claim(const std::string& row, const std::string& phrase) {
    int code = -1;
    for (const auto& [command, clause] : command_exit_clauses())
        if (command.rfind(row, 0) == 0 && clause.find(phrase) != std::string::npos) code = leading_code(clause);
    return code;
}

// The code of a page's own exit-code table row (`| N | ... |`) mentioning `phrase`; -1 if none.
int table_row_claim(const std::string& text, const std::string& phrase) {
    for (const auto& line : lines_of(text))
        if (line.rfind("| ", 0) == 0 && line.find(phrase) != std::string::npos) {
            const int code = leading_code(cells(line).at(0));
            if (code >= 0) return code;
        }
    return -1;
}

// The code prose gives `phrase`: an "exit N" in the rest of its sentence ("A missing file is exit 3."),
// else the last one before it in its section ("Everything below is an error (exit 2): ... - a missing
// `file`"); -1 if none.
int prose_claim(const std::string& text, const std::string& phrase) {
    const auto at = text.find(phrase);
    if (at == std::string::npos) return -1;
    const auto sentence_end = std::min(text.find(". ", at), text.find(".\n", at));
    const auto same_sentence = exit_claims(text.substr(at, sentence_end - at));
    if (!same_sentence.empty()) return same_sentence.front().first;
    const auto section = text.rfind("\n#", at);
    const std::string before = text.substr(section == std::string::npos ? 0 : section, at - section);
    const auto claims = exit_claims(before);
    return claims.empty() ? -1 : claims.back().first;
}

vesper::test::ProcessResult run(const TempDir& dir, const std::vector<std::string>& args) {
    return vesper::test::vesperctl(args, vesper::test::isolated_in(dir.path()));
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

// A loopback listener that accepts connections and never answers.
struct SilentListener {
    int fd = -1;
    std::uint16_t port = 0;
    SilentListener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 4) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~SilentListener() { ::close(fd); }
    // Accepts one connection (kept open until the listener goes), within 10 s.
    bool accept_one() {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1) return false;
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return false;
        accepted.push_back(c);
        return true;
    }
    std::vector<int> accepted;
};

} // namespace

TEST_CASE("docs: the exit-code table of docs/cli.md holds every code vesperctl can exit with", "[cli][docs]") {
    TempDir dir;
    const auto table = exit_table();
    REQUIRE(table.count(0) == 1);
    // Every error kind, under its own name.
    for (vesper::ErrorKind kind : vesper::kAllErrorKinds) {
        INFO("kind " << vesper::to_string(kind) << ", exit " << vesper::exit_code_for(kind));
        REQUIRE(table.count(vesper::exit_code_for(kind)) == 1);
        CHECK(table.at(vesper::exit_code_for(kind)) == vesper::to_string(kind));
    }
    // CLI11's usage errors (unknown option, unknown command).
    for (const auto& args : {std::vector<std::string>{"--no-such-option"}, std::vector<std::string>{"flsh"}}) {
        const auto r = run(dir, args);
        INFO(r.err);
        CHECK(table.count(r.exit_code) == 1);
        CHECK(r.exit_code == 2);
    }
    // What Ctrl-C and SIGTERM end a command with, on a board that never answers. A process killed by
    // the signal has no exit code of its own to document; one that exits must use a documented code.
    for (int sig : {SIGINT, SIGTERM}) {
        SilentListener board;
        vesper::test::BackgroundProcess p(
            {VESPERCTL_BIN, "chip", "--port", "socket://127.0.0.1:" + std::to_string(board.port)});
        REQUIRE(board.accept_one());
        const int status = p.kill(sig);
        INFO("signal " << sig << ", wait status " << status);
        if (WIFEXITED(status)) CHECK(table.count(WEXITSTATUS(status)) == 1);
    }
}

TEST_CASE("docs: every exit code the docs name is in docs/cli.md's table", "[cli][docs]") {
    const auto table = exit_table();
    for (const auto& entry : fs::directory_iterator(kDocs)) {
        if (entry.path().extension() != ".md") continue;
        for (const auto& [code, line] : exit_claims(doc(entry.path().filename().string()))) {
            INFO(entry.path().filename().string() << ": " << line);
            CHECK(table.count(code) == 1);
        }
    }
    const auto clauses = command_exit_clauses();
    REQUIRE(clauses.size() > 20); // the command tables were found
    for (const auto& [command, clause] : clauses) {
        INFO("docs/cli.md, " << command << ": " << clause);
        if (clause.rfind("as ", 0) == 0) continue; // "as above", "as `flash --station`"
        CHECK(table.count(leading_code(clause)) == 1);
    }
}

TEST_CASE("docs: docs/cli.md and each command's page state the exit code the binary gives", "[cli][docs]") {
    TempDir dir;
    const std::string cli = doc("cli.md"), nvs = doc("nvs.md"), parts = doc("partitions.md"), images = doc("images.md");
    write_text(dir / "missing-file.csv", "key,type,encoding,value\nns,namespace,,\nm,file,binary,missing.bin\n");
    write_text(dir / "parts.csv", "nvs,data,nvs,0x9000,0x6000\nfactory,app,factory,0x10000,1M\n");
    write_text(dir / "app.bin", std::string(64, 'x'));
    const std::string no_dir = (dir / "no-such-folder").string();
    REQUIRE(run(dir, {"part", "build", (dir / "parts.csv").string(), "-o", (dir / "parts.bin").string()}).exit_code ==
            0);
    const std::string ledger = (dir / "ledger.db").string();
    REQUIRE(run(dir, {"--ledger", ledger, "batch", "create", "--type", "BC", "--rev", "02", "--qty", "1"}).exit_code ==
            0);

    struct Situation {
        std::string what;
        std::vector<std::string> args;
        std::vector<std::pair<std::string, int>> claims; // where, the code it states
    };
    const std::vector<Situation> situations = {
        {"nvs build: a `file` row naming a missing file",
         {"nvs", "build", (dir / "missing-file.csv").string(), "-o", (dir / "o.bin").string(), "--size", "0x3000"},
         {{"docs/cli.md nvs build row", cli_row_claim("`nvs build INPUT.csv", "`file`")},
          {"docs/nvs.md differences", prose_claim(nvs, "a missing or unreadable `file`")}}},
        {"nvs build: the CSV does not exist",
         {"nvs", "build", (dir / "none.csv").string(), "-o", (dir / "o.bin").string(), "--size", "0x3000"},
         {{"docs/cli.md nvs build row", cli_row_claim("`nvs build INPUT.csv", "missing CSV")},
          {"docs/nvs.md exit codes", table_row_claim(nvs, "the CSV")}}},
        {"part build: the output cannot be written",
         {"part", "build", (dir / "parts.csv").string(), "-o", no_dir + "/p.bin"},
         {{"docs/cli.md part build row", cli_row_claim("`part build", "cannot write")},
          {"docs/partitions.md exit codes", table_row_claim(parts, "the output could not be written")}}},
        {"part dump: the output cannot be written",
         {"part", "dump", (dir / "parts.bin").string(), "-o", no_dir + "/p.csv"},
         {{"docs/cli.md part dump row", cli_row_claim("`part dump", "cannot write")},
          {"docs/partitions.md exit codes", table_row_claim(parts, "the output could not be written")}}},
        {"image merge: the output cannot be written",
         {"image", "merge", "--chip", "esp32", "-o", no_dir + "/m.bin", "0x10000", (dir / "app.bin").string()},
         {{"docs/cli.md image merge row", cli_row_claim("`image merge", "cannot write")},
          {"docs/images.md merge errors", prose_claim(images, "An output that cannot be written")}}},
        {"image merge: an input file does not exist",
         {"image", "merge", "--chip", "esp32", "-o", (dir / "m.bin").string(), "0x10000", (dir / "none.bin").string()},
         {{"docs/cli.md image merge row", cli_row_claim("`image merge", "missing file")},
          {"docs/images.md merge errors", prose_claim(images, "A missing file is")}}},
        {"batch show: no such batch",
         {"--ledger", ledger, "batch", "show", "7"},
         {{"docs/cli.md batch show", prose_claim(cli, "if there is no such batch. `--json`")}}},
    };
    for (const auto& s : situations) {
        const auto r = run(dir, s.args);
        INFO(s.what << ": exit " << r.exit_code << ", " << r.err);
        for (const auto& [where, code] : s.claims) {
            INFO(where << " says " << code);
            CHECK(code == r.exit_code);
        }
    }
}

namespace {

// docs/cli.md's "## Error codes" table: each row's code (without its backticks) and its kind cell, in
// the order written.
std::vector<std::pair<std::string, std::string>> documented_error_codes() {
    std::vector<std::pair<std::string, std::string>> rows;
    bool in_section = false;
    for (const auto& line : lines_of(doc("cli.md"))) {
        if (line.rfind("## ", 0) == 0) in_section = line == "## Error codes";
        if (!in_section || line.rfind("| ", 0) != 0) continue;
        const auto c = cells(line);
        if (c.size() < 3 || c[0] == "code" || c[0].rfind("---", 0) == 0) continue;
        std::string code = c[0];
        if (code.size() >= 2 && code.front() == '`' && code.back() == '`') code = code.substr(1, code.size() - 2);
        rows.emplace_back(code, c[1]);
    }
    return rows;
}

} // namespace

TEST_CASE("docs: docs/cli.md lists every error code with its kind and exit code, and no other", "[cli][docs]") {
    const auto documented = documented_error_codes();
    REQUIRE(!documented.empty()); // the section and its table were found
    std::map<std::string, std::string> kind_of;
    for (const auto& [code, kind] : documented) {
        INFO("docs/cli.md row " << code);
        CHECK(kind_of.emplace(code, kind).second); // listed once
    }
    std::set<std::string> known;
    for (const auto& c : vesper::all_error_codes()) {
        const std::string name(c.name);
        known.insert(name);
        INFO("code " << name);
        REQUIRE(kind_of.count(name) == 1);
        // "input (2)"; the interrupted kind's row gives both of its codes, "interrupted (130 or 143)".
        const std::string kind = vesper::to_string(c.kind);
        const std::string exit =
            c.kind == vesper::ErrorKind::interrupted ? "130 or 143" : std::to_string(vesper::exit_code_for(c.kind));
        CHECK(kind_of.at(name) == kind + " (" + exit + ")");
    }
    for (const auto& [code, kind] : documented) {
        INFO("docs/cli.md documents " << code);
        CHECK(known.count(code) == 1);
    }
}
