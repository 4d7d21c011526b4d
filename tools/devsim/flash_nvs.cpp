#include "devsim/flash_nvs.hpp"

#include <map>
#include <string>

#include "vesper/core/error.hpp"
#include "vesper/nvs/format.hpp"
#include "vesper/nvs/page_writer.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::devsim {

namespace {

nvs::Dump read_partition(const FlashStore& flash, const FlashPartition& p) {
    return nvs::read_image(flash.read(p.offset, p.size));
}

// The version the partition was written with (its first used page says), v2 for an erased one.
nvs::Version partition_version(const nvs::Dump& dump) {
    for (const nvs::PageInfo& page : dump.pages)
        if (!page.erased && page.header_crc_ok)
            if (auto v = nvs::version_from_byte(page.version_byte)) return *v;
    return nvs::Version::v2;
}

void write_value(nvs::PageWriter& w, std::uint8_t ns, const nvs::NvsValue& v) {
    if (nvs::is_integer(v.type)) {
        w.write_integer(ns, v.key, v.type, v.integer);
    } else if (v.type == nvs::ItemType::sz) {
        Bytes text = v.data;
        text.push_back(0);
        w.write_string(ns, v.key, text);
    } else {
        w.write_blob(ns, v.key, v.data);
    }
}

} // namespace

std::optional<FlashPartition> find_nvs_partition(const FlashStore& flash, std::string_view label) {
    std::optional<esp::DecodedPartitionTable> decoded;
    try {
        decoded = esp::decode_partition_table(
            flash.read(esp::kDefaultPartitionTableOffset, esp::kPartitionTableMaxLength), "flash at 0x8000");
    } catch (const Error&) {
        return std::nullopt; // no table: the firmware's nvs_flash_init would fail too
    }
    const esp::Partition* p = decoded->table.find(label);
    if (!p || p->type != esp::kTypeData || p->subtype != esp::kSubtypeNvs) return std::nullopt;
    if (std::uint64_t{p->offset} + p->size > flash.size() || p->size % nvs::page_size != 0) return std::nullopt;
    return FlashPartition{p->offset, p->size};
}

std::vector<nvs::NvsValue> read_nvs_namespace(const FlashStore& flash, const FlashPartition& partition,
                                              std::string_view ns) {
    std::vector<nvs::NvsValue> out;
    for (nvs::NvsValue& v : read_partition(flash, partition).values)
        if (v.ns == ns) out.push_back(std::move(v));
    return out;
}

bool write_nvs_u8(FlashStore& flash, const FlashPartition& partition, std::string_view ns, std::string_view key,
                  std::uint8_t value) {
    const nvs::Dump dump = read_partition(flash, partition);
    std::vector<nvs::NvsValue> values;
    for (const nvs::NvsValue& v : dump.values)
        if (!v.ns.starts_with('#') && !(v.ns == ns && v.key == key)) values.push_back(v);
    nvs::NvsValue flag;
    flag.ns = ns;
    flag.key = key;
    flag.type = nvs::ItemType::u8;
    flag.integer = value;
    values.push_back(flag);

    // Namespaces numbered from 1 in the order they first appear.
    std::map<std::string, std::uint8_t> index;
    std::vector<std::string> order;
    for (const nvs::NvsValue& v : values)
        if (!index.count(v.ns)) {
            if (order.size() == nvs::max_namespaces) return false;
            index[v.ns] = static_cast<std::uint8_t>(order.size() + 1);
            order.push_back(v.ns);
        }
    Bytes image(partition.size, 0xFF);
    try {
        nvs::PageWriter w(image, partition_version(dump));
        for (const std::string& name : order)
            w.write_namespace(name, index[name]);
        for (const nvs::NvsValue& v : values)
            write_value(w, index[v.ns], v);
    } catch (const Error&) {
        return false; // does not fit: the firmware's nvs_set would fail with ESP_ERR_NVS_NOT_ENOUGH_SPACE
    }
    flash.erase(partition.offset, partition.size);
    flash.program(partition.offset, image);
    return true;
}

} // namespace vesper::devsim
