#include "output_file.hpp"

#include <iostream>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"

namespace vesper::cli {

void check_output_option(const Context& ctx, const std::string& output) {
    if (ctx.json && is_stdout(output))
        fail(ErrorCode::cli_usage, "-o - with --json: stdout carries the JSON document; give -o FILE");
}

std::ostream& summary_stream(const std::string& output) { return is_stdout(output) ? std::cerr : std::cout; }

} // namespace vesper::cli
