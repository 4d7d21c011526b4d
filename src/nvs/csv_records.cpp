// Splitting CSV text into records with Python's csv-module rules (excel dialect, non-strict), after
// the reference's own pre-filter that drops every physical line starting with '#'.

#include "vesper/core/error.hpp"
#include "vesper/nvs/csv.hpp"

namespace vesper::nvs {

namespace {

enum class State { start_field, in_field, in_quoted, quote_in_quoted };

bool blank(std::string_view line) {
    for (char c : line)
        if (c != ' ' && c != '\t' && c != '\v' && c != '\f') return false;
    return true;
}

int line_of_offset(std::string_view text, std::size_t offset) {
    int line = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n')
            ++line;
        else if (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))
            ++line;
    }
    return line;
}

} // namespace

std::vector<CsvRecord> split_csv_records(std::string_view text, const std::string& source) {
    // A UTF-8 byte order mark (spreadsheet exports) is not part of the header.
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);

    std::size_t bad = 0;
    if (!is_valid_utf8(text, &bad))
        fail(ErrorCode::csv_invalid,
             source + ":" + std::to_string(line_of_offset(text, bad)) + ": not valid UTF-8 text");
    if (auto nul = text.find('\0'); nul != std::string_view::npos)
        fail(ErrorCode::csv_invalid,
             source + ":" + std::to_string(line_of_offset(text, nul)) + ": NUL byte in CSV text");

    std::vector<CsvRecord> records;
    CsvRecord current;
    std::string field;
    bool in_record = false;
    State state = State::start_field;
    int quote_line = 0;

    auto save_field = [&] {
        current.fields.push_back(std::move(field));
        field.clear();
    };
    auto end_record = [&] {
        save_field();
        records.push_back(std::move(current));
        current = CsvRecord{};
        in_record = false;
        state = State::start_field;
    };

    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Universal newlines, as Python's text mode: \r\n, \r and \n all end a line.
        std::size_t eol = text.find_first_of("\r\n", pos);
        std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (eol == std::string_view::npos)
            pos = text.size();
        else
            pos = eol + ((text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n') ? 2 : 1);
        ++line_no;

        // The reference filters comment lines before the csv module sees them, even inside quotes.
        if (!line.empty() && line[0] == '#') continue;
        if (!in_record) {
            if (blank(line)) continue;
            in_record = true;
            current.line = line_no;
        }

        for (char c : line) {
            switch (state) {
            case State::start_field:
                if (c == '"') {
                    state = State::in_quoted;
                    quote_line = line_no;
                } else if (c == ',') {
                    save_field();
                } else {
                    field.push_back(c);
                    state = State::in_field;
                }
                break;
            case State::in_field:
                if (c == ',') {
                    save_field();
                    state = State::start_field;
                } else {
                    field.push_back(c);
                }
                break;
            case State::in_quoted:
                if (c == '"')
                    state = State::quote_in_quoted;
                else
                    field.push_back(c);
                break;
            case State::quote_in_quoted:
                if (c == '"') { // "" inside quotes is one quote
                    field.push_back('"');
                    state = State::in_quoted;
                } else if (c == ',') {
                    save_field();
                    state = State::start_field;
                } else { // text after the closing quote joins the field, like Python's non-strict mode
                    field.push_back(c);
                    state = State::in_field;
                }
                break;
            }
        }
        // End of the physical line.
        if (state == State::in_quoted)
            field.push_back('\n');
        else
            end_record();
    }
    // Every line ends its record unless a quote is still open, so an open record here is one.
    if (in_record)
        fail(ErrorCode::csv_invalid,
             source + ":" + std::to_string(quote_line) + ": quoted value is never closed (missing '\"')");
    return records;
}

} // namespace vesper::nvs
