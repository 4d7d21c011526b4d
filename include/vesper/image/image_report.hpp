#pragma once
// What `vesperctl image info` shows of a file: its JSON shape (docs/cli.md) and its text for people,
// and the one line that says why an image or partition table is invalid. Kept beside the parser so the
// CLI only chooses which one to print.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <ostream>
#include <string>

#include "vesper/image/image.hpp"

namespace vesper::esp {

nlohmann::json image_json(const ImageInfo& image);
// The file's kind, size and validity, with each kind's details under its own key (the others null).
nlohmann::json identity_json(const std::string& file, std::size_t size, const FileIdentity& id);

void write_identity_text(std::ostream& out, const std::string& file, std::size_t size, const FileIdentity& id);

// "FILE: invalid image: checksum at 0x... is ..., the segments give ...": for an identity that is not valid.
std::string invalid_reason(const std::string& file, const FileIdentity& id);

} // namespace vesper::esp
