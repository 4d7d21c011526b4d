// Printing through lp (src/label/printer): a stand-in lp on PATH, a shell script that records its
// arguments and standard input to files, takes the real lp's place (docs/label-printing.md).
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "temp_dir.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/printer.hpp"

using namespace vesper;
using namespace vesper::label;
using vesper::test::TempDir;
using vesper::test::text_of;

namespace {

// Puts `dir` first on PATH for the test's duration.
class PathFirst {
public:
    explicit PathFirst(const std::filesystem::path& dir, bool only = false) {
        const char* old = ::getenv("PATH");
        old_ = old ? old : "";
        const std::string path = only ? dir.string() : dir.string() + ":" + old_;
        ::setenv("PATH", path.c_str(), 1);
    }
    ~PathFirst() { ::setenv("PATH", old_.c_str(), 1); }
    PathFirst(const PathFirst&) = delete;
    PathFirst& operator=(const PathFirst&) = delete;

private:
    std::string old_;
};

void write_script(const std::filesystem::path& file, const std::string& body) {
    {
        std::ofstream out(file, std::ios::binary);
        out << "#!/bin/sh\n" << body;
    }
    ::chmod(file.c_str(), 0755);
}

// An lp that writes one argument a line to argv.txt, its input to stdin.bin and answers like CUPS.
void recording_lp(const TempDir& dir) {
    write_script(dir / "lp", "for a in \"$@\"; do printf '%s\\n' \"$a\" >> '" + (dir / "argv.txt").string() +
                                 "'; done\n"
                                 "cat > '" +
                                 (dir / "stdin.bin").string() +
                                 "'\n"
                                 "echo 'request id is zebra_1-42 (1 file(s))'\n");
}

Rendered document(Format format, std::string bytes) {
    Rendered r;
    r.format = format;
    r.dpi = 203;
    r.bytes = std::move(bytes);
    return r;
}

} // namespace

TEST_CASE("print hands ZPL to lp raw with printer, copies and title, and the document on its input", "[label]") {
    TempDir dir;
    recording_lp(dir);
    PathFirst path(dir.path());
    const std::string zpl = "^XA\n^CI28\n^PW406\n^LL240\n^FO10,10^BQN,2,4^FH^FDMM,AX^FS\n^XZ\n";
    const std::string id = print(document(Format::zpl, zpl), PrintJob{"zebra_1", "PV-26DEC labels", 2});
    CHECK(id == "request id is zebra_1-42 (1 file(s))");
    CHECK(text_of(dir / "argv.txt") == "-d\nzebra_1\n-n\n2\n-t\nPV-26DEC labels\n-o\nraw\n");
    CHECK(text_of(dir / "stdin.bin") == zpl);
}

TEST_CASE("print hands a PDF to lp without raw, all of it through the pipe", "[label]") {
    TempDir dir;
    recording_lp(dir);
    PathFirst path(dir.path());
    // Larger than a pipe's buffer, with every byte value, so partial writes and binary data are covered.
    std::string pdf = "%PDF-1.7\n";
    for (int i = 0; pdf.size() < 3 * 1024 * 1024; ++i)
        pdf += static_cast<char>(i * 31 + (i >> 8));
    print(document(Format::pdf, pdf), PrintJob{"Office-A4", "", 1});
    CHECK(text_of(dir / "argv.txt") == "-d\nOffice-A4\n-n\n1\n");
    CHECK(text_of(dir / "stdin.bin") == pdf);
}

TEST_CASE("print reports lp's own message when it fails, is killed or is missing", "[label]") {
    TempDir dir;
    PathFirst path(dir.path());
    write_script(dir / "lp", "cat > /dev/null\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n");
    try {
        print(document(Format::zpl, "^XA^XZ"), PrintJob{"nope", "t", 1});
        FAIL("lp failed and print did not say so");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_print);
        CHECK(std::string(e.what()) == "lp failed (exit 1) printing on nope: lp: The printer or class does not exist.");
    }
    // An lp that dies without reading its input: no SIGPIPE for us, an error naming the signal.
    write_script(dir / "lp", "echo 'going' >&2\nkill -9 $$\n");
    try {
        print(document(Format::pdf, std::string(1 << 20, 'x')), PrintJob{"p", "t", 1});
        FAIL("lp was killed and print did not say so");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_print);
        CHECK(std::string(e.what()) == "lp was killed by signal 9 printing on p: going");
    }
    std::filesystem::remove(dir / "lp");
    PathFirst only_dir(dir.path(), true);
    try {
        print(document(Format::zpl, "^XA^XZ"), PrintJob{"p", "t", 1});
        FAIL("printed without an lp");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_print);
        CHECK(std::string(e.what()).find("cannot run lp") == 0);
    }
}

TEST_CASE("print refuses a bad printer name, copies out of range and an empty document before running lp", "[label]") {
    TempDir dir;
    recording_lp(dir);
    PathFirst path(dir.path());
    const Rendered doc = document(Format::zpl, "^XA^XZ");
    for (const std::string bad : {"", "-oraw", "two words", "a/b", "q#1"}) {
        INFO(bad);
        try {
            print(doc, PrintJob{bad, "t", 1});
            FAIL("accepted a bad printer name");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
        }
    }
    for (int copies : {0, 101}) {
        try {
            print(doc, PrintJob{"zebra", "t", copies});
            FAIL("accepted copies out of range");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
        }
    }
    try {
        print(document(Format::zpl, ""), PrintJob{"zebra", "t", 1});
        FAIL("printed an empty document");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
    }
    CHECK_FALSE(std::filesystem::exists(dir / "argv.txt"));
}
