#pragma once
// What a flash run says of its work, for people and for JSON-lines consumers (docs/cli.md): a region's
// result and how the board was left. The CLI prints these; the shapes live beside the flasher.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

#include "vesper/flash/flasher.hpp"
#include "vesper/rom/loader.hpp"

namespace vesper::esp {

// "region 2/3 app.bin at 0x10000: written 1048576 bytes (40431 compressed) in 1.20 s, ..., verified (MD5)"
std::string region_text(const RegionResult& result, std::size_t region_count);
// The "region" event.
nlohmann::json region_json(const RegionResult& result);
// How the run left the board, for the "Done:" line: "reset into the application".
std::string after_text(AfterFlash after);

} // namespace vesper::esp
