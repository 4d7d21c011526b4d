#pragma once
// QR symbols (libqrencode) and where their modules go: a module is a whole number of printer dots, at
// least the layout's minimum, and the symbol with a quiet zone of 4 modules on every side fits its box.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/label/layout.hpp"

namespace vesper::label {

inline constexpr int kQuietModules = 4;

struct QrSymbol {
    int version = 0;
    int width = 0; // modules per side
    QrEcc ecc = QrEcc::M;
    std::vector<std::uint8_t> dark; // width * width, row-major from the top-left, 1 = dark
    bool dark_at(int x, int y) const { return dark[static_cast<std::size_t>(y) * width + x] != 0; }
};

// Encodes with the fewest modules libqrencode finds: upper-case letters, digits and " $%*+-./:" in
// alphanumeric mode, digits runs in numeric mode, the rest as bytes (case-sensitive). Error(label.qr_too_long)
// for a payload no QR version holds at that level.
QrSymbol encode_qr(std::string_view payload, QrEcc ecc);

// The payload as ONE segment in one mode, alphanumeric or bytes, as a printer that encodes the data itself
// makes it (Zebra's ^BQ in manual input mode), so the symbol checked is the symbol printed.
// Error(label.qr_too_long) when the payload does not fit any version at that level in that mode.
QrSymbol encode_qr_segment(std::string_view payload, QrEcc ecc, bool alphanumeric);

struct QrPlacement {
    int module_dots = 0;       // printer dots per module
    double module_mm = 0;      // module_dots at the layout's dpi
    double x_mm = 0, y_mm = 0; // the symbol's top-left (first module, not the quiet zone), from the label's top-left
    double side_mm = 0;        // the symbol without its quiet zone
};

// The largest whole number of dots per module at `dpi` with which the symbol and its quiet zone fit the
// box, the symbol centred in it on the dot grid. Error(label.qr_too_long) when even the smallest module
// allowed (min_module_mm, rounded up to whole dots) does not fit; the message gives the modules needed
// and the box.
QrPlacement place_qr(const Field& box, const QrSymbol& symbol, int dpi, double min_module_mm);

} // namespace vesper::label
