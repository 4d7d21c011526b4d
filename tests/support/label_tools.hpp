#pragma once
// Test support for labels: checks a PDF with tools vesperctl does not use itself (poppler-utils'
// pdftoppm, pdfinfo and pdftotext, zbar-tools' zbarimg), and a stand-in `lp` that records each print
// job (its arguments and the document it was given) in a folder, as CUPS's lp would take them.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace vesper::test {

// The tool's path on PATH (run_process executes a path, not a name); the test fails when it is missing.
inline std::string on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    FAIL(name << " is not on PATH: scripts/install-deps installs poppler-utils and zbar-tools");
    return {};
}

// Runs a tool found on PATH; the test stops unless it exits 0.
inline ProcessResult tool(std::vector<std::string> argv) {
    argv[0] = on_path(argv[0]);
    ProcessOptions options;
    options.timeout_ms = 60000;
    auto r = run_process(argv, options);
    INFO(argv[0] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    return r;
}

// The QR payloads zbarimg decodes on each page rasterised at `dpi` (grey or colour), sorted per page.
inline std::vector<std::vector<std::string>> decode_pages(const std::filesystem::path& pdf, int dpi, bool gray) {
    TempDir raster;
    std::vector<std::string> argv{"pdftoppm", "-r", std::to_string(dpi)};
    if (gray) argv.push_back("-gray");
    argv.push_back(pdf.string());
    argv.push_back((raster.path() / "page").string());
    tool(argv);
    std::vector<std::filesystem::path> pages;
    for (const auto& e : std::filesystem::directory_iterator(raster.path()))
        pages.push_back(e.path());
    std::sort(pages.begin(), pages.end()); // page-01, page-02, ...: same width, so in page order
    std::vector<std::vector<std::string>> out;
    for (const auto& page : pages) {
        const auto r = tool({"zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", page.string()});
        std::vector<std::string> payloads;
        std::istringstream lines(r.out);
        for (std::string l; std::getline(lines, l);)
            if (!l.empty()) payloads.push_back(l);
        std::sort(payloads.begin(), payloads.end());
        out.push_back(payloads);
    }
    return out;
}

// Every QR code on every page at `dpi` (grey), sorted.
inline std::vector<std::string> decode_pdf_qr(const std::filesystem::path& pdf, int dpi) {
    std::vector<std::string> all;
    for (const auto& page : decode_pages(pdf, dpi, true))
        all.insert(all.end(), page.begin(), page.end());
    std::sort(all.begin(), all.end());
    return all;
}

// "Page size: 141.732 x 85.0394 pts" of page 1, in mm.
inline std::pair<double, double> pdf_page_mm(const std::filesystem::path& pdf) {
    const auto r = tool({"pdfinfo", pdf.string()});
    const auto at = r.out.find("Page size:");
    REQUIRE(at != std::string::npos);
    double w = 0, h = 0;
    REQUIRE(std::sscanf(r.out.c_str() + at, "Page size: %lf x %lf", &w, &h) == 2);
    return {w * 25.4 / 72, h * 25.4 / 72};
}

inline std::string pdf_text(const std::filesystem::path& pdf) {
    return tool({"pdftotext", "-layout", pdf.string(), "-"}).out;
}

// A folder `bin` holding an `lp` that records every job under `jobs/` (args: one per line; data: its
// stdin) and answers like CUPS; put `bin` first on PATH. `fail_with` set: it prints that and exits 1.
struct StandInLp {
    std::filesystem::path root;
    explicit StandInLp(const std::filesystem::path& dir, const std::string& fail_with = {}) : root(dir) {
        std::filesystem::create_directories(root / "bin");
        std::filesystem::create_directories(root / "jobs");
        std::ofstream lp(root / "bin" / "lp");
        lp << "#!/bin/sh\n";
        if (!fail_with.empty()) lp << "echo 'lp: " << fail_with << "' >&2\nexit 1\n";
        lp << "job=$(mktemp -d '" << (root / "jobs").string() << "/job.XXXXXX')\n"
           << "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$job/args\"\n"
           << "cat > \"$job/data\"\n"
           << "echo \"request id is $2-$(basename \"$job\") (1 file(s))\"\n";
        lp.close();
        std::filesystem::permissions(root / "bin" / "lp", std::filesystem::perms::owner_all);
    }
    std::string path_env() const { return (root / "bin").string() + ":" + std::getenv("PATH"); }
    struct Job {
        std::vector<std::string> args;
        std::string data;
    };
    std::vector<Job> jobs() const {
        std::vector<Job> out;
        for (const auto& e : std::filesystem::directory_iterator(root / "jobs")) {
            Job j;
            std::ifstream a(e.path() / "args");
            for (std::string line; std::getline(a, line);)
                j.args.push_back(line);
            std::ifstream d(e.path() / "data", std::ios::binary);
            j.data.assign(std::istreambuf_iterator<char>(d), {});
            out.push_back(std::move(j));
        }
        return out;
    }
};

} // namespace vesper::test
