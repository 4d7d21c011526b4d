// CSV reading: Python csv-module semantics where the reference accepts input, clean errors elsewhere.
#include <catch2/catch.hpp>

#include "vesper/core/error.hpp"
#include "vesper/nvs/csv.hpp"

using namespace vesper;
using namespace vesper::nvs;

namespace {

std::vector<std::vector<std::string>> fields_of(std::string_view text) {
    std::vector<std::vector<std::string>> out;
    for (auto& r : split_csv_records(text, "t.csv"))
        out.push_back(r.fields);
    return out;
}

std::string csv_error(std::string_view text) {
    try {
        parse_csv(text, "t.csv", ".");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK(e.code() == ErrorCode::csv_invalid);
        return e.what();
    }
    return "accepted";
}

const char* kHeader = "key,type,encoding,value\n";

} // namespace

TEST_CASE("nvs csv: comment and blank lines are skipped, line numbers kept", "[nvs][csv]") {
    auto recs =
        split_csv_records("# first\nkey,type,encoding,value\n\n   \n# note\nns,namespace,,\nk,data,u8,1\n", "t.csv");
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].line == 2);
    CHECK(recs[1].line == 6);
    CHECK(recs[2].line == 7);
    CHECK(recs[2].fields == std::vector<std::string>{"k", "data", "u8", "1"});
}

TEST_CASE("nvs csv: quoting follows Python's csv module", "[nvs][csv]") {
    using V = std::vector<std::string>;
    CHECK(fields_of("a,\"b,c\",d\n") == std::vector<V>{{"a", "b,c", "d"}});
    CHECK(fields_of("a,\"say \"\"hi\"\"\"\n") == std::vector<V>{{"a", "say \"hi\""}});
    CHECK(fields_of("a,\"\"\n") == std::vector<V>{{"a", ""}});
    // A quote inside an unquoted field is literal; text after a closing quote joins the field.
    CHECK(fields_of("a,b\"c\n") == std::vector<V>{{"a", "b\"c"}});
    CHECK(fields_of("a,\"b\"c\n") == std::vector<V>{{"a", "bc"}});
    // Leading spaces are kept (no skipinitialspace), so a quote after a space is literal.
    CHECK(fields_of("a, \"b\"\n") == std::vector<V>{{"a", " \"b\""}});
    CHECK(fields_of("a,b,\n") == std::vector<V>{{"a", "b", ""}});
    CHECK(fields_of("a,b") == std::vector<V>{{"a", "b"}}); // no newline at the end
}

TEST_CASE("nvs csv: quoted values may span lines, the record keeps its first line", "[nvs][csv]") {
    auto recs = split_csv_records("x\nk,\"line1\n\nline3\",z\nnext\n", "t.csv");
    REQUIRE(recs.size() == 3);
    CHECK(recs[1].line == 2);
    CHECK(recs[1].fields == std::vector<std::string>{"k", "line1\n\nline3", "z"});
    CHECK(recs[2].line == 5);
}

TEST_CASE("nvs csv: '#' lines are dropped even inside quotes, like the reference's pre-filter", "[nvs][csv]") {
    auto recs = split_csv_records("k,\"a\n# gone\nb\"\n", "t.csv");
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].fields[1] == "a\nb");
}

TEST_CASE("nvs csv: CRLF and CR line ends read as LF, a BOM is ignored", "[nvs][csv]") {
    auto recs = split_csv_records("\xEF\xBB\xBFkey,type\r\nk,\"a\r\nb\"\rz,y\r", "t.csv");
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].fields[0] == "key");
    CHECK(recs[1].fields[1] == "a\nb");
    CHECK(recs[2].line == 4);
}

TEST_CASE("nvs csv: unterminated quote, NUL and bad UTF-8 are errors with a line", "[nvs][csv]") {
    CHECK_THROWS_WITH(split_csv_records("a,b\nk,\"open\nmore\n", "t.csv"),
                      Catch::Contains("t.csv:2: quoted value is never closed"));
    CHECK_THROWS_WITH(split_csv_records(std::string_view("a,b\nk,v\0w\n", 10), "t.csv"),
                      Catch::Contains("t.csv:2: NUL"));
    CHECK_THROWS_WITH(split_csv_records("a,b\n\nk,\xC3\x28\n", "t.csv"), Catch::Contains("t.csv:3: not valid UTF-8"));
}

TEST_CASE("nvs csv: rows parse into typed rows", "[nvs][csv]") {
    auto f = parse_csv(std::string(kHeader) +
                           "ns,namespace,,\nb,namespace\nn,data,u16,7\nf,file,binary,x.bin\ns,data,string,\n",
                       "t.csv", "/base");
    REQUIRE(f.rows.size() == 5);
    CHECK(f.source == "t.csv");
    CHECK(f.base_dir == "/base");
    CHECK(f.rows[0].type == RowType::namespace_);
    CHECK_FALSE(f.rows[0].encoding);
    CHECK(f.rows[1].type == RowType::namespace_); // missing trailing columns are fine for namespaces
    CHECK(f.rows[2].type == RowType::data);
    CHECK(f.rows[2].encoding == Encoding::u16);
    CHECK(f.rows[2].value == "7");
    CHECK(f.rows[2].line == 4);
    CHECK(f.rows[3].type == RowType::file);
    CHECK(f.rows[3].value == "x.bin");
    CHECK(f.rows[4].value.empty()); // an empty string is a value
}

TEST_CASE("nvs csv: header columns may come in any order", "[nvs][csv]") {
    auto f = parse_csv("value,encoding,key,type\n,,ns,namespace\n42,u8,k,data\n", "t.csv", ".");
    REQUIRE(f.rows.size() == 2);
    CHECK(f.rows[1].key == "k");
    CHECK(f.rows[1].value == "42");
    CHECK(f.rows[1].encoding == Encoding::u8);
}

TEST_CASE("nvs csv: shape errors name file, line and key", "[nvs][csv]") {
    CHECK_THAT(csv_error(""), Catch::Contains("t.csv: no header line"));
    CHECK_THAT(csv_error("key,type,value\n"), Catch::Contains("t.csv:1: the first line must be the header"));
    CHECK_THAT(csv_error("key,type,encoding,value,extra\n"), Catch::Contains("t.csv:1: the first line must be"));
    CHECK_THAT(csv_error(std::string(kHeader) + "ns,namespace,,\ng,data,string,hello, world\n"),
               Catch::Contains("t.csv:3: key 'g': 5 fields") && Catch::Contains("quote a value"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k\n"), Catch::Contains("t.csv:2: key 'k': missing type"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k,blob,u8,1\n"),
               Catch::Contains("t.csv:2: key 'k': unknown type 'blob'"));
    // The reference would treat 'file ' as data and store the path as text; we refuse instead.
    CHECK_THAT(csv_error(std::string(kHeader) + "k,file ,string,x\n"), Catch::Contains("unknown type 'file '"));
    CHECK_THAT(csv_error(std::string(kHeader) + "ns,namespace,u8,1\n"),
               Catch::Contains("t.csv:2: key 'ns': namespace rows take no encoding or value"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k,data,,1\n"), Catch::Contains("t.csv:2: key 'k': missing encoding"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k,data,U8,1\n"), Catch::Contains("unknown encoding 'U8'"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k,data,float,1\n"), Catch::Contains("unknown encoding 'float'"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k,data,u8\n"),
               Catch::Contains("t.csv:2: key 'k': missing value column"));
    CHECK_THAT(csv_error(std::string(kHeader) + "k,file,binary,\n"), Catch::Contains("file row needs a file path"));
}

TEST_CASE("nvs csv: read_csv resolves the folder and reports a missing file", "[nvs][csv]") {
    auto f = read_csv(std::string(VESPER_TEST_VECTORS) + "/nvs/nvs_basic.csv");
    CHECK(f.base_dir == std::filesystem::path(VESPER_TEST_VECTORS) / "nvs");
    CHECK(f.rows.size() == 10);
    try {
        read_csv("/nonexistent/vesper/none.csv");
        FAIL("read a missing file");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK_THAT(e.what(), Catch::Contains("/nonexistent/vesper/none.csv"));
    }
}
