#include "vesper/core/error_codes.hpp"

#include <array>

namespace vesper {

namespace {

using K = ErrorKind;
using C = ErrorCode;

constexpr std::array kErrorCodes{
    ErrorCodeInfo{C::input_invalid, "input.invalid", K::input, "an argument or input file is not valid"},
    ErrorCodeInfo{C::not_found, "not_found", K::not_found, "a named thing does not exist"},
    ErrorCodeInfo{C::conflict, "conflict", K::conflict, "the request clashes with what is stored"},
    ErrorCodeInfo{C::io_failed, "io.failed", K::io, "a file or the ledger could not be read or written"},
    ErrorCodeInfo{C::device_failed, "device.failed", K::device, "a board or port did not answer as expected"},
    ErrorCodeInfo{C::verify_failed, "verify.failed", K::verify, "data written did not read back the same"},
    ErrorCodeInfo{C::internal, "internal", K::internal, "a bug in vesperctl: please report it with the command"},
    ErrorCodeInfo{C::interrupted, "interrupted", K::interrupted, "stopped by SIGINT or SIGTERM"},
    ErrorCodeInfo{C::cli_usage, "cli.usage", K::input, "the command line is not valid; see --help"},
    ErrorCodeInfo{C::io_read, "io.read", K::io, "a file could not be read: check it exists and is readable"},
    ErrorCodeInfo{C::io_write, "io.write", K::io, "a file could not be written: check the folder and free space"},
    ErrorCodeInfo{C::config_invalid, "config.invalid", K::input,
                  "the factory config is not valid: the message names the line and field"},
    ErrorCodeInfo{C::csv_invalid, "csv.invalid", K::input, "a CSV file is not valid: the message names the line"},
    ErrorCodeInfo{C::nvs_template, "nvs.template", K::input,
                  "an NVS template does not render: a placeholder or value is wrong"},
    ErrorCodeInfo{C::nvs_image_invalid, "nvs.image_invalid", K::input, "the file is not a valid NVS partition image"},
    ErrorCodeInfo{C::part_invalid, "part.invalid", K::input, "the partition table is not valid"},
    ErrorCodeInfo{C::image_invalid, "image.invalid", K::input, "the file is not a valid ESP firmware image"},
    ErrorCodeInfo{C::image_chip_mismatch, "image.chip_mismatch", K::input,
                  "the image was built for another chip; --force writes it anyway"},
    ErrorCodeInfo{C::flash_out_of_range, "flash.out_of_range", K::input,
                  "an address or size is unaligned, empty, overlapping or beyond the flash"},
    ErrorCodeInfo{C::serial_invalid, "serial.invalid", K::input, "not a well-formed PV serial number"},
    ErrorCodeInfo{C::secret_missing, "secret.missing", K::input,
                  "a secret is needed from the environment or a file (never the command line)"},
    ErrorCodeInfo{C::ledger_not_a_ledger, "ledger.not_a_ledger", K::input,
                  "the file is not a vesperctl ledger; it was left untouched"},
    ErrorCodeInfo{C::ledger_batch_not_found, "ledger.batch_not_found", K::not_found,
                  "no such batch in the ledger: `vesperctl batch list` shows them"},
    ErrorCodeInfo{C::ledger_device_not_found, "ledger.device_not_found", K::not_found, "no such device in the ledger"},
    ErrorCodeInfo{C::ledger_batch_full, "ledger.batch_full", K::conflict,
                  "every serial of the batch is bound to a board"},
    ErrorCodeInfo{C::ledger_status, "ledger.status", K::conflict, "the device's status does not allow this step"},
    ErrorCodeInfo{C::ledger_busy, "ledger.busy", K::io, "the ledger stayed locked by another writer"},
    ErrorCodeInfo{C::port_not_found, "port.not_found", K::not_found,
                  "no such port: `vesperctl ports` lists the ones there are"},
    ErrorCodeInfo{C::port_open, "port.open", K::device,
                  "the port exists but does not open: in use, or no permission (dialout group)"},
    ErrorCodeInfo{C::port_io, "port.io", K::device, "reading or writing the port failed: check the cable and hub"},
    ErrorCodeInfo{C::port_url_invalid, "port.url_invalid", K::input,
                  "not a port: a device path, socket://HOST:PORT or rfc2217://HOST:PORT"},
    ErrorCodeInfo{C::esp_no_sync, "esp.no_sync", K::device,
                  "the board did not answer SYNC: check power, cable and that it is an ESP board"},
    ErrorCodeInfo{C::esp_not_in_download_mode, "esp.not_in_download_mode", K::device,
                  "the board booted its app instead of the ROM loader: hold BOOT, or check the reset circuit"},
    ErrorCodeInfo{C::esp_chip_mismatch, "esp.chip_mismatch", K::input,
                  "the board is another chip than the one asked for"},
    ErrorCodeInfo{C::esp_timeout, "esp.timeout", K::device, "the board stopped answering a command"},
    ErrorCodeInfo{C::esp_bad_reply, "esp.bad_reply", K::device,
                  "the board answered with something that is not a valid reply"},
    ErrorCodeInfo{C::esp_rom_error, "esp.rom_error", K::device,
                  "the ROM loader or stub refused a command; the status byte is in rom_status"},
    ErrorCodeInfo{C::esp_flash_too_small, "esp.flash_too_small", K::input,
                  "the data does not fit the board's flash; --force writes it anyway"},
    ErrorCodeInfo{C::flash_verify, "flash.verify", K::verify,
                  "a region read back differently from what was written: retry, then suspect the flash"},
    ErrorCodeInfo{C::station_too_slow, "station.too_slow", K::device,
                  "the board took longer than max_seconds_per_board"},
    ErrorCodeInfo{C::file_not_found, "file.not_found", K::not_found, "a file named on the command line does not exist"},
    ErrorCodeInfo{C::file_is_folder, "file.is_folder", K::input, "a folder was given where a file is needed"},
    ErrorCodeInfo{C::ledger_not_found, "ledger.not_found", K::not_found,
                  "no ledger at that path: check --ledger (only serial gen and batch create make one)"},
    ErrorCodeInfo{C::ledger_no_place, "ledger.no_place", K::input,
                  "no place for the ledger: give --ledger or set VESPER_HOME"},
    ErrorCodeInfo{C::ledger_too_new, "ledger.too_new", K::conflict,
                  "the ledger was written by a newer vesperctl: use that version"},
    ErrorCodeInfo{C::ledger_read_only, "ledger.read_only", K::io,
                  "the ledger cannot be written here: check the permissions of the file and its folder"},
    ErrorCodeInfo{C::ledger_damaged, "ledger.damaged", K::io, "the ledger file is damaged: restore it from a backup"},
    ErrorCodeInfo{C::ledger_mac_bound, "ledger.mac_bound", K::conflict,
                  "the board's MAC is already bound to a device of another batch"},
    ErrorCodeInfo{C::serial_prefix_exhausted, "serial.prefix_exhausted", K::conflict,
                  "no serials left for this board type, revision and day: use another --date"},
    ErrorCodeInfo{C::config_not_found, "config.not_found", K::not_found,
                  "no factory config: give --config, set VESPER_CONFIG or create ./vesper.yaml"},
    ErrorCodeInfo{C::config_station_not_found, "config.station_not_found", K::not_found,
                  "the config has no station of that name: the message lists its stations"},
    ErrorCodeInfo{C::config_profile_not_found, "config.profile_not_found", K::not_found,
                  "the config has no board profile for the batch's board type and revision"},
    ErrorCodeInfo{C::nvs_size_invalid, "nvs.size_invalid", K::input,
                  "an NVS partition size is a multiple of 4096, at least 0x3000 and at most 128MB"},
    ErrorCodeInfo{C::nvs_full, "nvs.full", K::input, "the values do not fit the NVS partition: give a larger size"},
    ErrorCodeInfo{C::nvs_batch_busy, "nvs.batch_busy", K::conflict,
                  "another nvs batch is writing into that folder: wait for it or use another folder"},
    ErrorCodeInfo{C::nvs_image_damaged, "nvs.image_damaged", K::verify,
                  "the NVS image has CRC or structure problems (listed before the error)"},
    ErrorCodeInfo{C::image_checksum, "image.checksum", K::verify,
                  "the image's checksum or SHA-256 does not match its contents: rebuild or download it again"},
    ErrorCodeInfo{C::part_md5_mismatch, "part.md5_mismatch", K::verify,
                  "the partition table's MD5 row does not match its rows: the table is corrupted"},
    ErrorCodeInfo{C::chip_unknown, "chip.unknown", K::input, "not a chip name vesperctl knows: the message lists them"},
    ErrorCodeInfo{C::port_not_given, "port.not_given", K::input,
                  "no --port, and not exactly one port looks like an ESP board: give --port or set VESPER_PORT"},
    ErrorCodeInfo{C::esp_unsupported_chip, "esp.unsupported_chip", K::device,
                  "the board is a chip vesperctl does not know"},
    ErrorCodeInfo{C::esp_rom_unsupported, "esp.rom_unsupported", K::input,
                  "this chip's ROM loader cannot do that (it would need a flasher stub)"},
    ErrorCodeInfo{C::esp_secure_download, "esp.secure_download", K::device,
                  "the chip is in Secure Download Mode: it cannot be identified or verified"},
    ErrorCodeInfo{C::esp_baud_failed, "esp.baud_failed", K::device,
                  "the link failed at the faster baud rate: use a lower --baud"},
    ErrorCodeInfo{C::esp_mac_unreadable, "esp.mac_unreadable", K::device,
                  "the board's eFuse MAC is blank or unreadable, so it cannot identify the board"},
    ErrorCodeInfo{C::esp_flash_size_unknown, "esp.flash_size_unknown", K::device,
                  "the board did not report its flash size: give the size or range explicitly"},
    ErrorCodeInfo{C::station_failed, "station.failed", K::device,
                  "one or more boards of a station run failed: the message names the ports and the retry command"},
    ErrorCodeInfo{C::factory_no_hello, "factory.no_hello", K::device,
                  "the board's app did not say hello on its console: is the factory firmware flashed and running?"},
    ErrorCodeInfo{C::factory_timeout, "factory.timeout", K::device,
                  "the board's console did not answer a factory test request in time"},
    ErrorCodeInfo{C::factory_crash, "factory.crash", K::device,
                  "the board's app crashed or restarted during the factory test: the message holds the panic line"},
    ErrorCodeInfo{C::factory_test_failed, "factory.test_failed", K::verify,
                  "the board failed a factory test: the message names the test, what it measured and the limits"},
    ErrorCodeInfo{C::secret_too_short, "secret.too_short", K::input,
                  "the secret is too short to be safe: use at least 16 random bytes"},
    ErrorCodeInfo{C::claim_malformed, "claim.malformed", K::input,
                  "not a claim code: 21 symbols of 0-9 A-Z without I, L, O, U (hyphens and spaces ignored)"},
    ErrorCodeInfo{C::claim_typo, "claim.typo", K::input,
                  "the claim code's check character does not match: one character is wrong or two are swapped"},
    ErrorCodeInfo{C::claim_mismatch, "claim.mismatch", K::verify,
                  "the claim code is well-formed but belongs to another device (or another claim secret)"},
    ErrorCodeInfo{C::label_layout, "label.layout", K::input,
                  "the label layout is invalid: the message names the layout file, line and field"},
    ErrorCodeInfo{C::label_placeholder, "label.placeholder", K::input,
                  "the label layout uses a placeholder no device record has: the message lists the known ones"},
    ErrorCodeInfo{C::label_font_missing, "label.font_missing", K::input,
                  "a font the label layout names is not installed: install it (fonts-dejavu-core) or name another"},
    ErrorCodeInfo{C::label_qr_too_long, "label.qr_too_long", K::input,
                  "the QR payload does not fit its box at the printer's resolution: shorten it, enlarge the box or "
                  "lower the error correction"},
    ErrorCodeInfo{
        C::label_text_overflow, "label.text_overflow", K::input,
        "a text field's text is wider or taller than its box: shorten the text, enlarge the box or use a smaller font"},
    ErrorCodeInfo{C::label_verify, "label.verify", K::verify,
                  "a rendered label failed its check (QR decode, quiet zone, module size): it was not printed"},
    ErrorCodeInfo{
        C::label_print, "label.print", K::io,
        "the label could not be handed to the printer: is CUPS running and the printer name right (lpstat -p)?"},
    ErrorCodeInfo{C::label_not_tested, "label.not_tested", K::conflict,
                  "the device has not passed its factory test: labels are only for tested boards (--include-untested "
                  "to override)"},
    ErrorCodeInfo{
        C::label_already_printed, "label.already_printed", K::conflict,
        "the device's label was printed before: pass --reprint to print it again (recorded in the audit log)"},
    ErrorCodeInfo{C::backend_auth, "backend.auth", K::input,
                  "the backend refused the bearer token (401/403): fix $VESPER_BACKEND_TOKEN or the token file, then "
                  "register --retry-failed"},
    ErrorCodeInfo{
        C::backend_tls, "backend.tls", K::io,
        "the backend's certificate or pinned key did not verify: check backend.ca_file and backend.pinned_public_key"},
    ErrorCodeInfo{C::backend_refused, "backend.refused", K::conflict,
                  "the backend refused records for good: register --failed lists them with its answers"},
    ErrorCodeInfo{
        C::backend_drift, "backend.drift", K::verify,
        "the backend holds a record that differs from the one the ledger sent, or none: the message counts them"},
};

// Each row sits at its code's index, so info() is an index and a missing or misplaced row fails to build.
constexpr bool rows_in_order() {
    for (std::size_t i = 0; i < kErrorCodes.size(); ++i)
        if (static_cast<std::size_t>(kErrorCodes[i].code) != i) return false;
    return true;
}
static_assert(rows_in_order(), "kErrorCodes rows must follow the ErrorCode enum");
static_assert(kErrorCodes.size() == static_cast<std::size_t>(ErrorCode::backend_drift) + 1,
              "every ErrorCode needs a row in kErrorCodes");

} // namespace

std::span<const ErrorCodeInfo> all_error_codes() noexcept { return kErrorCodes; }

const ErrorCodeInfo& info(ErrorCode code) noexcept { return kErrorCodes[static_cast<std::size_t>(code)]; }

std::string_view to_string(ErrorCode code) noexcept { return info(code).name; }

ErrorCode general_code(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::input: return ErrorCode::input_invalid;
    case ErrorKind::not_found: return ErrorCode::not_found;
    case ErrorKind::conflict: return ErrorCode::conflict;
    case ErrorKind::io: return ErrorCode::io_failed;
    case ErrorKind::device: return ErrorCode::device_failed;
    case ErrorKind::verify: return ErrorCode::verify_failed;
    case ErrorKind::internal: return ErrorCode::internal;
    case ErrorKind::interrupted: return ErrorCode::interrupted;
    }
    return ErrorCode::internal;
}

} // namespace vesper
