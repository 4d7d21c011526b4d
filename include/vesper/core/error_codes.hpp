#pragma once
// Stable error codes, "area.what": in every --json error, in station failure events and in the
// ledger's failure causes (docs/cli.md lists them; a test keeps that list and this table in step).
// A code never changes meaning once released; new codes are added, retired ones are kept.
#include <cstddef>
#include <span>
#include <string_view>

namespace vesper {

// The class of an error, which decides the exit code (docs/cli.md).
enum class ErrorKind {
    input,       // bad user input: arguments, CSV/YAML content, malformed serial (exit 2)
    not_found,   // a named batch, serial, file or port does not exist (exit 3)
    conflict,    // the request clashes with stored state: exhausted prefix, bad status transition (exit 4)
    io,          // file system or ledger could not be read/written (exit 5)
    device,      // a board or port did not answer as expected (exit 6)
    verify,      // data written did not read back the same (exit 7)
    internal,    // a bug: an invariant broke (exit 1)
    interrupted, // stopped by SIGINT (exit 130) or SIGTERM (exit 143); see core/interrupt
};

// Every code, in the order of kErrorCodes (error_codes.cpp). Append; never reorder or reuse a name.
enum class ErrorCode {
    // The general code of each kind, for errors nothing needs to tell apart.
    input_invalid,
    not_found,
    conflict,
    io_failed,
    device_failed,
    verify_failed,
    internal,
    interrupted,
    // The command line.
    cli_usage,
    // Files and configuration.
    io_read,
    io_write,
    config_invalid,
    csv_invalid,
    nvs_template,
    nvs_image_invalid,
    part_invalid,
    image_invalid,
    image_chip_mismatch,
    flash_out_of_range,
    serial_invalid,
    secret_missing,
    // The ledger.
    ledger_not_a_ledger,
    ledger_batch_not_found,
    ledger_device_not_found,
    ledger_batch_full,
    ledger_status,
    ledger_busy,
    // Ports and the link to a board.
    port_not_found,
    port_open,
    port_io,
    port_url_invalid,
    // The ROM loader.
    esp_no_sync,
    esp_not_in_download_mode,
    esp_chip_mismatch,
    esp_timeout,
    esp_bad_reply,
    esp_rom_error,
    esp_flash_too_small,
    // Flashing and the station.
    flash_verify,
    station_too_slow,
    // Added with the codes' first users (keep appending here).
    file_not_found,
    file_is_folder,
    ledger_not_found,
    ledger_no_place,
    ledger_too_new,
    ledger_read_only,
    ledger_damaged,
    ledger_mac_bound,
    serial_prefix_exhausted,
    config_not_found,
    config_station_not_found,
    config_profile_not_found,
    nvs_size_invalid,
    nvs_full,
    nvs_batch_busy,
    nvs_image_damaged,
    image_checksum,
    part_md5_mismatch,
    chip_unknown,
    port_not_given,
    esp_unsupported_chip,
    esp_rom_unsupported,
    esp_secure_download,
    esp_baud_failed,
    esp_mac_unreadable,
    esp_flash_size_unknown,
    station_failed,
    factory_no_hello,
    factory_timeout,
    factory_crash,
    factory_test_failed,
    secret_too_short,
    claim_malformed,
    claim_typo,
    claim_mismatch,
    label_layout,
    label_placeholder,
    label_font_missing,
    label_qr_too_long,
    label_text_overflow,
    label_verify,
    label_print,
    label_not_tested,
    label_already_printed,
    backend_auth,
    backend_tls,
    backend_refused,
    backend_drift,
};

struct ErrorCodeInfo {
    ErrorCode code;
    std::string_view name; // "esp.chip_mismatch"
    ErrorKind kind;
    std::string_view help; // one line: what it means and what to do
};

// Every code with its name, kind and help, in enum order.
std::span<const ErrorCodeInfo> all_error_codes() noexcept;
const ErrorCodeInfo& info(ErrorCode code) noexcept;
std::string_view to_string(ErrorCode code) noexcept;
// The general code of a kind (ErrorKind::io -> io_failed).
ErrorCode general_code(ErrorKind kind) noexcept;

} // namespace vesper
