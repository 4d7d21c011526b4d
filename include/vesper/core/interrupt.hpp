#pragma once
// SIGINT/SIGTERM for the whole process: one handler (installed once, by the program's main) that
// removes the temporary files still being written, prints one "interrupted" line on stderr and exits
// 130 (SIGINT) or 143 (SIGTERM). Work that must stop at a clean point instead (a station finishing
// its boards, a batch removing what it wrote) holds a Deferral and polls stop_requested(); a second
// signal then exits at once.
#include <atomic>
#include <string>

namespace vesper::interrupt {

// Installs the handler for SIGINT and SIGTERM. `program` prefixes the text line; `json_errors` is read
// when a signal arrives (the command line is parsed after this), true for the JSON error object.
void install(const char* program, const bool* json_errors);

// While at least one Deferral exists, the first signal only sets stop_requested().
class Deferral {
public:
    Deferral();
    ~Deferral();
    Deferral(const Deferral&) = delete;
    Deferral& operator=(const Deferral&) = delete;
};

// Set by the first deferred signal. A reference, so long loops (and library code given it as a stop
// flag) poll it without knowing about signals.
const std::atomic<bool>& stop_requested();

// The signal that arrived (SIGINT when none did) and the exit code for it: 128 + its number.
int signal_number();
int exit_code();
// "interrupted by SIGINT" / "interrupted by SIGTERM".
std::string message();

// After a deferred stop unwound to main: removes the temporary files still registered, prints the
// same line as the handler would and returns the exit code.
int report();

// Temporary files that a signal removes. A slot holds one path (the buffer mkstemp fills in place, so
// the path is known the moment the file exists); registration and removal are lock-free and safe to
// race with the handler on any thread.
class TempSlot {
public:
    TempSlot() = default;
    ~TempSlot() { release(); }
    TempSlot(const TempSlot&) = delete;
    TempSlot& operator=(const TempSlot&) = delete;

    // Creates a file from `path_template` (ending in XXXXXX) with mkstemp and registers it. Returns the
    // open descriptor, or -1 with errno set (ENAMETOOLONG for a path the registry cannot hold).
    int create(const std::string& path_template);
    // The created path (valid until release()).
    const char* path() const;
    // Forgets the file: after it was renamed into place or unlinked by the owner.
    void release();

private:
    int slot_ = -1;
};

} // namespace vesper::interrupt
