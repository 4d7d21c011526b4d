// vesperctl part: build ESP-IDF partition table binaries from CSV and dump them back to CSV.
#include <memory>

#include "cli.hpp"
#include "output_file.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::cli {

namespace {

nlohmann::json partition_json(const esp::Partition& p) {
    auto t = esp::partition_type_name(p.type);
    auto s = esp::partition_subtype_name(p.type, p.subtype);
    return {{"name", p.name},
            {"type", p.type},
            {"type_name", t ? nlohmann::json(std::string(*t)) : nlohmann::json(nullptr)},
            {"subtype", p.subtype},
            {"subtype_name", s ? nlohmann::json(std::string(*s)) : nlohmann::json(nullptr)},
            {"offset", p.offset},
            {"size", p.size},
            {"encrypted", p.encrypted},
            {"readonly", p.readonly}};
}

nlohmann::json partitions_json(const esp::PartitionTable& table) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& p : table)
        arr.push_back(partition_json(p));
    return arr;
}

struct PartBuildArgs {
    std::string input, output, offset = "0x8000", primary_bootloader, recovery_bootloader;
    bool no_md5 = false;
};

struct PartDumpArgs {
    std::string input, output, offset = "0x8000";
};

void run_part_build(const Context& ctx, const PartBuildArgs& a) {
    check_output_option(ctx, a.output);
    esp::TableOptions opts;
    opts.table_offset = parse_u32("--offset", a.offset);
    opts.md5 = !a.no_md5;
    if (!a.primary_bootloader.empty())
        opts.primary_bootloader_offset = parse_u32("--primary-bootloader-offset", a.primary_bootloader);
    if (!a.recovery_bootloader.empty())
        opts.recovery_bootloader_offset = parse_u32("--recovery-bootloader-offset", a.recovery_bootloader);

    const std::string text = read_text_file(a.input);
    const auto table = esp::parse_partition_csv(text, a.input, opts);
    const Bytes bin = esp::encode_partition_table(table, opts);
    write_output(a.output, bin);

    if (ctx.json) {
        ctx.print_json({{"input", a.input},
                        {"output", a.output},
                        {"bytes", bin.size()},
                        {"table_offset", opts.table_offset},
                        {"md5", opts.md5},
                        {"partitions", partitions_json(table)}});
    } else {
        summary_stream(a.output) << a.output << ": " << table.size() << " partitions, " << bin.size() << " bytes"
                                 << (opts.md5 ? ", with MD5 row" : ", no MD5 row") << "\n";
    }
}

void run_part_dump(const Context& ctx, const PartDumpArgs& a) {
    esp::TableOptions opts;
    opts.table_offset = parse_u32("--offset", a.offset);
    const Bytes bin = read_file(a.input);
    const auto dump = esp::dump_partition_table(bin, a.input, opts); // refuses what would not build back
    const auto& decoded = dump.decoded;
    const std::string& csv = dump.csv;
    const bool to_file = !a.output.empty() && !is_stdout(a.output); // `-o -` is stdout, as without -o
    if (to_file) write_file_atomic(a.output, csv);

    if (ctx.json) {
        nlohmann::json doc{{"input", a.input},
                           {"table_offset", opts.table_offset},
                           {"md5", decoded.has_md5},
                           {"output", to_file ? nlohmann::json(a.output) : nlohmann::json(nullptr)},
                           {"partitions", partitions_json(decoded.table)}};
        ctx.print_json(doc);
    } else if (!to_file) {
        std::cout << csv;
    } else {
        std::cout << a.output << ": " << decoded.table.size() << " partitions"
                  << (decoded.has_md5 ? "" : " (the input had no MD5 row: rebuild with --no-md5)") << "\n";
    }
}

} // namespace

void register_part(CLI::App& app, Context& ctx) {
    auto* part = app.add_subcommand("part", "ESP-IDF partition tables (gen_esp32part.py compatible)");
    part->require_subcommand(1);

    auto build_args = std::make_shared<PartBuildArgs>();
    auto* build = part->add_subcommand("build", "Build a partition table binary from a CSV");
    build->add_option("input", build_args->input, "Partition table CSV")->required();
    build->add_option("-o,--output", build_args->output, "Binary to write (0xC00 bytes; - for stdout)")->required();
    build->add_option("--offset", build_args->offset, "Flash offset of the table")->capture_default_str();
    build->add_flag("--no-md5", build_args->no_md5, "Leave out the MD5 row (gen_esp32part.py --disable-md5sum)");
    build->add_option("--primary-bootloader-offset", build_args->primary_bootloader,
                      "Offset of the bootloader, for 'bootloader' rows with empty offset/size");
    build->add_option("--recovery-bootloader-offset", build_args->recovery_bootloader,
                      "Offset of the recovery bootloader, for 'bootloader,recovery' rows with an empty offset");
    build->callback([&ctx, build_args] { run_part_build(ctx, *build_args); });

    auto dump_args = std::make_shared<PartDumpArgs>();
    auto* dump = part->add_subcommand("dump", "Check a partition table binary and print it as CSV");
    dump->add_option("input", dump_args->input, "Partition table binary")->required();
    dump->add_option("-o,--output", dump_args->output, "Write the CSV here instead of stdout (- is stdout)");
    dump->add_option("--offset", dump_args->offset, "Flash offset of the table")->capture_default_str();
    dump->callback([&ctx, dump_args] { run_part_dump(ctx, *dump_args); });
}

} // namespace vesper::cli
