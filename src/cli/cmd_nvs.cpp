// vesperctl nvs: build NVS partition images from CSV (byte-identical to ESP-IDF's nvs_partition_gen),
// render per-device images from a template and the ledger, and dump images with CRC checks.
#include <cstdlib>

#include "cli.hpp"
#include "output_file.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/interrupt.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/creds/mqtt.hpp"
#include "vesper/nvs/dump_format.hpp"
#include "vesper/nvs/image_batch.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/nvs/template.hpp"
#include "vesper/station/identity.hpp"

namespace vesper::cli {

namespace {

using creds::kMqttPasswordField;

// Written last by `nvs batch`: a folder without it is incomplete.
constexpr const char* kManifestName = "vesper-nvs-batch.json";

std::string hex_size(std::size_t size) { return hex_u(size); }

nvs::Version to_version(int v) { return v == 1 ? nvs::Version::v1 : nvs::Version::v2; }

nlohmann::json image_json(const std::string& path, const Bytes& image, nvs::Version version,
                          const nvs::RenderInfo& info) {
    return {{"output", path},
            {"size", image.size()},
            {"version", version == nvs::Version::v1 ? 1 : 2},
            {"namespaces", info.namespaces},
            {"entries", info.values},
            {"slots_used", info.slots_used},
            {"pages_used", info.pages_used},
            {"sha256", to_hex(sha256(image))}};
}

void print_built(const Context& ctx, nlohmann::json doc) {
    if (ctx.json) {
        ctx.print_json(doc);
        return;
    }
    summary_stream(doc["output"].get<std::string>())
        << "wrote " << doc["output"].get<std::string>() << ": " << hex_size(doc["size"].get<std::size_t>())
        << " bytes, NVS v" << doc["version"].get<int>() << ", " << doc["entries"].get<std::size_t>() << " entries in "
        << doc["namespaces"].get<std::size_t>() << " namespace(s), " << doc["pages_used"].get<std::size_t>()
        << " page(s) used, sha256 " << doc["sha256"].get<std::string>() << "\n";
}

struct BuildArgs {
    std::string input, template_path, serial, output, size, secret_file, claim_secret_file;
    int version = 2;
};

void run_build(const Context& ctx, const BuildArgs& a) {
    if (a.input.empty() == a.template_path.empty())
        fail(ErrorCode::cli_usage, "nvs build: give either INPUT.csv or --template T.csv (one of them)");
    if (!a.template_path.empty() && a.serial.empty())
        fail(ErrorCode::cli_usage, "nvs build: --template needs --serial SN (the ledger device to fill it from)");
    if (a.template_path.empty() && (!a.serial.empty() || !a.secret_file.empty() || !a.claim_secret_file.empty()))
        fail(ErrorCode::cli_usage,
             "nvs build: --serial, --secret-file and --claim-secret-file only go with --template");
    check_output_option(ctx, a.output);
    const std::size_t size = nvs::parse_partition_size(a.size, "--size");
    const nvs::Version version = to_version(a.version);

    nvs::RenderInfo info;
    Bytes image;
    nlohmann::json doc;
    if (a.template_path.empty()) {
        image = nvs::build_image(a.input, size, version, &info);
        doc = image_json(a.output, image, version, info);
        doc["input"] = a.input;
        doc["template"] = nullptr;
        doc["serial"] = nullptr;
    } else {
        // Template first: a bad template is reported before the ledger or the secret are touched.
        nvs::Template t = nvs::Template::load(a.template_path);
        auto ledger = ctx.open_ledger(ledger::Access::read_only);
        ledger::Device d = ledger.get_device(a.serial);
        std::string secret;
        if (t.uses(kMqttPasswordField)) secret = read_mqtt_secret(a.secret_file);
        std::string claim_secret;
        if (t.uses(creds::kClaimCodeField)) claim_secret = read_claim_secret(a.claim_secret_file);
        nvs::Fields fields = station::identity_fields(d, t, secret, claim_secret);
        image = t.render(fields, size, version, &info);
        doc = image_json(a.output, image, version, info);
        doc["input"] = nullptr;
        doc["template"] = a.template_path;
        doc["serial"] = d.serial;
    }
    write_output(a.output, image);
    print_built(ctx, doc);
}

struct BatchArgs {
    std::int64_t batch_id = 0;
    std::string template_path, size, out_dir, secret_file, claim_secret_file;
    int version = 2;
    unsigned jobs = 0;
};

void run_batch(const Context& ctx, const BatchArgs& a) {
    const std::size_t size = nvs::parse_partition_size(a.size, "--size");
    const nvs::Version version = to_version(a.version);
    nvs::Template t = nvs::Template::load(a.template_path);
    auto ledger = ctx.open_ledger(ledger::Access::read_only);
    ledger::Batch batch = ledger.get_batch(a.batch_id);
    std::vector<ledger::Device> devices = ledger.devices_of_batch(batch.id);
    std::string secret;
    const bool wants_password = t.uses(kMqttPasswordField);
    if (wants_password) secret = read_mqtt_secret(a.secret_file);
    std::string claim_secret;
    if (t.uses(creds::kClaimCodeField)) claim_secret = read_claim_secret(a.claim_secret_file);

    std::vector<std::string> names;
    names.reserve(devices.size());
    for (const auto& d : devices)
        names.push_back(d.serial + ".bin");
    // Each producer call writes its own slot; the digests go into the manifest.
    std::vector<std::string> digests(devices.size());
    std::vector<nvs::RenderInfo> infos(devices.size());

    auto produce = [&](std::size_t i, Bytes& out) {
        nvs::Fields fields = station::identity_fields(devices[i], t, secret, claim_secret);
        try {
            infos[i] = t.render_into(fields, size, version, out);
        } catch (const Error& e) {
            fail(e, "device " + devices[i].serial + ": " + e.what());
        }
        digests[i] = to_hex(sha256(out));
    };
    auto images_json = [&](bool with_paths) {
        nlohmann::json images = nlohmann::json::array();
        for (std::size_t i = 0; i < devices.size(); ++i) {
            nlohmann::json image{{"serial", devices[i].serial}, {"file", names[i]}, {"sha256", digests[i]}};
            if (with_paths) {
                image.erase("file");
                image["output"] = (std::filesystem::path(a.out_dir) / names[i]).string();
                image["entries"] = infos[i].values;
            }
            images.push_back(image);
        }
        return images;
    };
    nvs::ImageBatchOptions options;
    options.threads = a.jobs;
    // Ctrl-C/SIGTERM stop between images and remove what this run wrote (docs/nvs.md).
    interrupt::Deferral defer;
    options.stop = &interrupt::stop_requested();
    options.manifest_name = kManifestName;
    options.manifest = [&] {
        return json_text(nlohmann::json{{"format", "vesper-nvs-batch"},
                                        {"batch_id", batch.id},
                                        {"template", a.template_path},
                                        {"size", size},
                                        {"version", a.version},
                                        {"count", devices.size()},
                                        {"images", images_json(false)}},
                         1) +
               "\n";
    };
    nvs::write_image_batch(a.out_dir, names, produce, options);
    const std::string manifest = (std::filesystem::path(a.out_dir) / kManifestName).string();

    if (ctx.json) {
        ctx.print_json({{"batch_id", batch.id},
                        {"template", a.template_path},
                        {"output", a.out_dir},
                        {"manifest", manifest},
                        {"size", size},
                        {"version", a.version},
                        {"count", devices.size()},
                        {"images", images_json(true)}});
        return;
    }
    std::cout << "batch " << batch.id << ": wrote " << devices.size() << " image(s) of " << hex_size(size)
              << " bytes (NVS v" << a.version << ") to " << a.out_dir << ", listed in " << manifest << "\n";
}

void run_dump(const Context& ctx, const std::string& path) {
    Bytes image = read_file(path);
    nvs::Dump dump = nvs::read_image(image);
    if (ctx.json) {
        ctx.print_json(nvs::dump_json(dump, path));
        if (!dump.ok()) {
            // One JSON document, then the verify exit code; an error document from main would be a second one.
            std::cout.flush();
            std::exit(exit_code_for(ErrorKind::verify));
        }
        return;
    }
    std::cout << nvs::dump_text(dump, path);
    if (!dump.ok())
        fail(ErrorCode::nvs_image_damaged,
             path + ": " + std::to_string(dump.problems.size()) + " problem(s) found (listed above)");
}

} // namespace

void register_nvs(CLI::App& app, Context& ctx) {
    auto* nvs_cmd = app.add_subcommand("nvs", "NVS partition images (byte-identical to ESP-IDF nvs_partition_gen)");
    nvs_cmd->require_subcommand(1);

    auto b = std::make_shared<BuildArgs>();
    auto* build = nvs_cmd->add_subcommand(
        "build",
        "Build an NVS image from a CSV, or from a template filled from a ledger device (--template, --serial)");
    build->add_option("input", b->input, "CSV file: key,type,encoding,value");
    build->add_option("--template", b->template_path, "Template CSV with {{field}} placeholders");
    build->add_option("--serial", b->serial, "Ledger device whose fields fill the template");
    build->add_option("-o,--output", b->output, "Output image (written atomically; - for stdout)")->required();
    build->add_option("--size", b->size, "Partition size: decimal or 0x hex, a multiple of 0x1000, at least 0x3000")
        ->required();
    build->add_option("--version", b->version, "NVS format: 1 (no multi-page blobs) or 2")
        ->check(CLI::IsMember({1, 2}))
        ->capture_default_str();
    build->add_option("--secret-file", b->secret_file,
                      "File holding the MQTT master secret (else $VESPER_MQTT_SECRET); only read when the template "
                      "uses {{mqtt_password}}");
    build->add_option("--claim-secret-file", b->claim_secret_file,
                      "File holding the claim secret (else $VESPER_CLAIM_SECRET); only read when the template uses "
                      "{{claim_code}}");
    build->callback([&ctx, b] { run_build(ctx, *b); });

    auto ba = std::make_shared<BatchArgs>();
    auto* batch = nvs_cmd->add_subcommand("batch", "Render one image per device of a batch, named <SERIAL>.bin");
    batch->add_option("id", ba->batch_id, "Batch id")->required();
    batch->add_option("--template", ba->template_path, "Template CSV with {{field}} placeholders")->required();
    batch->add_option("--size", ba->size, "Partition size: decimal or 0x hex, a multiple of 0x1000, at least 0x3000")
        ->required();
    batch->add_option("--out", ba->out_dir, "Output folder (created if missing)")->required();
    batch->add_option("--version", ba->version, "NVS format: 1 or 2")
        ->check(CLI::IsMember({1, 2}))
        ->capture_default_str();
    batch->add_option("--secret-file", ba->secret_file,
                      "File holding the MQTT master secret (else $VESPER_MQTT_SECRET)");
    batch->add_option("--claim-secret-file", ba->claim_secret_file,
                      "File holding the claim secret (else $VESPER_CLAIM_SECRET)");
    batch->add_option("--jobs", ba->jobs, "Worker threads (default: one per CPU)");
    batch->callback([&ctx, ba] { run_batch(ctx, *ba); });

    auto dump_path = std::make_shared<std::string>();
    auto* dump = nvs_cmd->add_subcommand("dump", "Show an NVS image: pages, entries, values; exit 7 on CRC problems");
    dump->add_option("image", *dump_path, "NVS image file")->required();
    dump->callback([&ctx, dump_path] { run_dump(ctx, *dump_path); });
}

} // namespace vesper::cli
