#include "vesper/label/qr.hpp"

#include <qrencode.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>

#include "vesper/core/error.hpp"

namespace vesper::label {

namespace {

QRecLevel level_of(QrEcc ecc) {
    switch (ecc) {
    case QrEcc::L: return QR_ECLEVEL_L;
    case QrEcc::M: return QR_ECLEVEL_M;
    case QrEcc::Q: return QR_ECLEVEL_Q;
    case QrEcc::H: return QR_ECLEVEL_H;
    }
    return QR_ECLEVEL_M;
}

std::string mm_hundredths_text(double mm) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f mm", mm);
    return buf;
}

QrSymbol symbol_of(const QRcode& code, QrEcc ecc) {
    QrSymbol s;
    s.version = code.version;
    s.width = code.width;
    s.ecc = ecc;
    const auto cells = static_cast<std::size_t>(code.width) * static_cast<std::size_t>(code.width);
    s.dark.resize(cells);
    for (std::size_t i = 0; i < cells; ++i)
        s.dark[i] = code.data[i] & 1; // bit 0 is the module's colour; the other bits say what it is part of
    return s;
}

[[noreturn]] void encode_failed(std::string_view payload, QrEcc ecc, const char* how) {
    if (errno == ERANGE)
        fail(ErrorCode::label_qr_too_long, "the QR payload (" + std::to_string(payload.size()) +
                                               " bytes) is longer than QR version 40 holds at level " + to_string(ecc) +
                                               how);
    fail(ErrorKind::internal, "libqrencode failed to encode the QR payload (errno " + std::to_string(errno) + ")");
}

} // namespace

const char* to_string(QrEcc ecc) {
    switch (ecc) {
    case QrEcc::L: return "L";
    case QrEcc::M: return "M";
    case QrEcc::Q: return "Q";
    case QrEcc::H: return "H";
    }
    return "?";
}

QrSymbol encode_qr(std::string_view payload, QrEcc ecc) {
    if (payload.empty()) fail(ErrorCode::label_qr_too_long, "the QR payload is empty");
    if (payload.find('\0') != std::string_view::npos)
        fail(ErrorCode::label_qr_too_long, "the QR payload holds a NUL byte");
    const std::string text(payload);
    // QR_MODE_8 as the hint with case sensitivity on lets libqrencode split the text into its cheapest
    // segments: numeric runs, alphanumeric runs (upper case, digits, " $%*+-./:") and bytes.
    errno = 0;
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString(text.c_str(), 0, level_of(ecc), QR_MODE_8, 1), &QRcode_free);
    if (!code) encode_failed(payload, ecc, "");
    return symbol_of(*code, ecc);
}

QrSymbol encode_qr_segment(std::string_view payload, QrEcc ecc, bool alphanumeric) {
    if (payload.empty()) fail(ErrorCode::label_qr_too_long, "the QR payload is empty");
    std::unique_ptr<QRinput, decltype(&QRinput_free)> input(QRinput_new2(0, level_of(ecc)), &QRinput_free);
    if (!input) fail(ErrorKind::internal, "libqrencode could not start an input (out of memory)");
    if (QRinput_append(input.get(), alphanumeric ? QR_MODE_AN : QR_MODE_8, static_cast<int>(payload.size()),
                       reinterpret_cast<const unsigned char*>(payload.data())) != 0)
        fail(ErrorCode::label_qr_too_long, "the QR payload (" + std::to_string(payload.size()) +
                                               " bytes) cannot be one " + (alphanumeric ? "alphanumeric" : "byte") +
                                               " segment");
    errno = 0;
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeInput(input.get()), &QRcode_free);
    if (!code) encode_failed(payload, ecc, " in one segment");
    return symbol_of(*code, ecc);
}

QrPlacement place_qr(const Field& box, const QrSymbol& symbol, int dpi, double min_module_mm) {
    const double dot_mm = kMmPerInch / dpi;
    // A hair of tolerance, so 0.33 mm at 300 dpi (3.898 dots) asks for 4 dots and 1.0 mm at 254 dpi
    // (exactly 10 dots) does not round up to 11 by float error.
    const int min_dots = std::max(1, static_cast<int>(std::ceil(min_module_mm / dot_mm - 1e-9)));
    const int span = symbol.width + 2 * kQuietModules;
    const double side = std::min(box.width_mm, box.height_mm);
    const int box_dots = static_cast<int>(std::floor(side / dot_mm + 1e-9));
    const int dots = box_dots / span;
    if (dots < min_dots)
        fail(ErrorCode::label_qr_too_long,
             "field '" + box.name + "': the QR code (version " + std::to_string(symbol.version) + ", " +
                 std::to_string(symbol.width) + " modules + " + std::to_string(2 * kQuietModules) + " quiet) needs " +
                 mm_hundredths_text(span * min_dots * dot_mm) + " at " + std::to_string(dpi) + " dpi (" +
                 std::to_string(min_dots) + " dots a module), the box is " + mm_hundredths_text(side));
    QrPlacement p;
    p.module_dots = dots;
    p.module_mm = dots * dot_mm;
    p.side_mm = symbol.width * p.module_mm;
    // Centre the symbol, then snap its corner to the dot grid so every module edge falls on a dot edge.
    auto snap = [&](double mm) { return std::round(mm / dot_mm) * dot_mm; };
    p.x_mm = snap(box.x_mm + (box.width_mm - p.side_mm) / 2);
    p.y_mm = snap(box.y_mm + (box.height_mm - p.side_mm) / 2);
    return p;
}

} // namespace vesper::label
