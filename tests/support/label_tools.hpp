#pragma once
// Test support for labels: checks a PDF with tools vesperctl does not use itself (poppler-utils'
// pdftoppm, pdfinfo and pdftotext, zbar-tools' zbarimg), and a stand-in `lp` that records each print
// job (its arguments and the document it was given) in a folder, as CUPS's lp would take them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace vesper::test {

// Every QR code zbarimg finds on the PDF's pages rasterised at `dpi` (grey), sorted.
inline std::vector<std::string> decode_pdf_qr(const std::filesystem::path& pdf, int dpi) {
    TempDir tmp;
    const auto prefix = tmp.path() / "page";
    auto r = run_process({"pdftoppm", "-r", std::to_string(dpi), "-gray", pdf.string(), prefix.string()});
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> args = {"zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable"};
    for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
        args.push_back(e.path().string());
    r = run_process(args);
    INFO(r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 4)); // 4: no symbol found on a page
    std::vector<std::string> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) out.push_back(line);
    std::sort(out.begin(), out.end());
    return out;
}

// "Page size: 141.732 x 85.0394 pts" of page 1, in mm.
inline std::pair<double, double> pdf_page_mm(const std::filesystem::path& pdf) {
    auto r = run_process({"pdfinfo", pdf.string()});
    REQUIRE(r.exit_code == 0);
    const auto at = r.out.find("Page size:");
    REQUIRE(at != std::string::npos);
    double w = 0, h = 0;
    REQUIRE(std::sscanf(r.out.c_str() + at, "Page size: %lf x %lf", &w, &h) == 2);
    return {w * 25.4 / 72, h * 25.4 / 72};
}

inline std::string pdf_text(const std::filesystem::path& pdf) {
    auto r = run_process({"pdftotext", "-layout", pdf.string(), "-"});
    REQUIRE(r.exit_code == 0);
    return r.out;
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
