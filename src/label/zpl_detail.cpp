#include "zpl_detail.hpp"

#include <qrencode.h>

#include <cerrno>
#include <memory>

#include "vesper/core/error.hpp"

namespace vesper::label::zpl {

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

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

} // namespace

bool qr_alphanumeric(std::string_view payload) {
    for (char c : payload) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '$' || c == '%' ||
                        c == '*' || c == '+' || c == '-' || c == '.' || c == '/' || c == ':';
        if (!ok) return false;
    }
    return true;
}

QrSymbol encode_single_mode(std::string_view payload, QrEcc ecc, bool alphanumeric) {
    if (payload.empty()) fail(ErrorCode::label_qr_too_long, "the QR payload is empty");
    std::unique_ptr<QRinput, decltype(&QRinput_free)> input(QRinput_new2(0, level_of(ecc)), &QRinput_free);
    if (!input) fail(ErrorKind::internal, "libqrencode could not start an input (out of memory)");
    const QRencodeMode mode = alphanumeric ? QR_MODE_AN : QR_MODE_8;
    if (QRinput_append(input.get(), mode, static_cast<int>(payload.size()),
                       reinterpret_cast<const unsigned char*>(payload.data())) != 0)
        fail(ErrorCode::label_qr_too_long, "the QR payload (" + std::to_string(payload.size()) +
                                               " bytes) cannot be one " + (alphanumeric ? "alphanumeric" : "byte") +
                                               " segment");
    errno = 0;
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeInput(input.get()), &QRcode_free);
    if (!code) {
        if (errno == ERANGE)
            fail(ErrorCode::label_qr_too_long, "the QR payload (" + std::to_string(payload.size()) +
                                                   " bytes) is longer than QR version 40 holds at level " +
                                                   to_string(ecc) + " in one segment");
        fail(ErrorKind::internal, "libqrencode failed to encode the QR payload (errno " + std::to_string(errno) + ")");
    }
    QrSymbol s;
    s.version = code->version;
    s.width = code->width;
    s.ecc = ecc;
    const auto cells = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
    s.dark.resize(cells);
    for (std::size_t i = 0; i < cells; ++i)
        s.dark[i] = code->data[i] & 1; // bit 0 is the module's colour
    return s;
}

std::string escape_field_data(std::string_view data, bool in_block) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(data.size() + 8);
    for (char c : data) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '^' || c == '~' || c == kHexIndicator || b < 0x20 || b == 0x7F) {
            out += kHexIndicator;
            out += kHex[b >> 4];
            out += kHex[b & 0xF];
        } else if (c == '\\' && in_block) {
            out += "\\\\";
        } else {
            out += c;
        }
    }
    return out;
}

std::string unescape_field_data(std::string_view data, bool in_block) {
    std::string out;
    out.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        if (c == kHexIndicator) {
            const int hi = i + 1 < data.size() ? hex_value(data[i + 1]) : -1;
            const int lo = i + 2 < data.size() ? hex_value(data[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                fail(ErrorCode::label_verify, "a ^FH escape at byte " + std::to_string(i) +
                                                  " of the field data is not " + kHexIndicator + " and two hex digits");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '\\' && in_block) {
            if (i + 1 >= data.size() || data[i + 1] != '\\')
                fail(ErrorCode::label_verify, "a ^FB block escape at byte " + std::to_string(i) +
                                                  " of the field data is not a doubled backslash");
            out += '\\';
            ++i;
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace vesper::label::zpl
