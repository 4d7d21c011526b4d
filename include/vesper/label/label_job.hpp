#pragma once
// One label job from rendered document to its destination: render, verify, and only then write the file
// (atomically) and/or hand it to the printer. Shared by `vesperctl label` and the station's label step.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/label/layout.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/verify.hpp"

namespace vesper::label {

// Whether any field of the layout uses the placeholder (so a claim secret is asked for only when needed).
bool uses_placeholder(const Layout& layout, std::string_view name);

struct Delivery {
    std::string file;    // write the document here (atomically; "-" for stdout); empty: no file
    std::string printer; // print with lp; empty: no printing
    int copies = 1;
    std::string title; // the print job's title
};

struct JobResult {
    Rendered rendered;
    VerifyReport report;
    std::string print_reply; // lp's "request id is ..." when printed
};

// Renders the labels, verifies every one (Error(label.verify) naming the first that failed: nothing is
// written or printed), then writes the file and prints. Error(input) when the delivery names neither a
// file nor a printer.
JobResult produce(const Layout& layout, Format format, const std::vector<LabelItem>& items,
                  const RenderOptions& options, const Delivery& delivery);

} // namespace vesper::label
