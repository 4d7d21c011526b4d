#pragma once
// What render_zpl and verify share about ZPL: the QR symbol the printer draws for a ^BQ field (one
// segment in the mode the ^FD names, as "manual input" asks), and the field data escapes.
#include <string>
#include <string_view>

#include "vesper/label/qr.hpp"

namespace vesper::label::zpl {

// ^BQ takes a magnification (dots a module) of 1 to 10.
inline constexpr int kMaxMagnification = 10;
// ^FH's hex escape indicator (the default one).
inline constexpr char kHexIndicator = '_';

// True when every byte is in QR's alphanumeric set: 0-9, A-Z, space and $%*+-./:
bool qr_alphanumeric(std::string_view payload);

// Field data for ^FH^FD: '^', '~', the hex indicator and control bytes as _XX. In a ^FB block a
// backslash starts an escape of its own, so `in_block` doubles it.
std::string escape_field_data(std::string_view data, bool in_block);
// The inverse: _XX to its byte (and, when `in_block`, a doubled backslash to one). Error(label.verify)
// for a malformed escape.
std::string unescape_field_data(std::string_view data, bool in_block);

} // namespace vesper::label::zpl
