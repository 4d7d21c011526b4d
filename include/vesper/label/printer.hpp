#pragma once
// Handing a verified document to CUPS: `lp -d PRINTER -n COPIES -t TITLE [-o raw]` with the document on
// its standard input (raw for ZPL, so CUPS passes it to the Zebra untouched). `lp` is found on PATH, so a
// stand-in can take its place in tests (docs/label-printing.md says which the tests use).
#include <string>

#include "vesper/label/render.hpp"

namespace vesper::label {

struct PrintJob {
    std::string printer;
    std::string title;
    int copies = 1;
};

// Returns lp's job id line ("request id is P-12 (1 file(s))"), trimmed. Error(label.print) with lp's
// own message when lp is missing, fails or is killed; Error(input) for an empty printer name or copies
// outside 1-100.
std::string print(const Rendered& document, const PrintJob& job);

} // namespace vesper::label
