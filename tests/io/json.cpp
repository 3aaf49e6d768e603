#include "duel/io/json.hpp"

#include <string>
#include <vector>

#include "io/io_test.hpp"

using duel::IoError;
using duel::io::json_quote;
using duel::io::JsonReader;
using duel::test::check_error;

TEST_CASE("JsonReader walks objects, arrays, strings and integers") {
  JsonReader json(R"( { "shape" : [2, 0, 18446744073709551615], "name": "w", "empty": {}, "none": [] } )");
  std::string key;
  json.begin_object();
  REQUIRE(json.next_key(key));
  CHECK(key == "shape");
  std::vector<std::uint64_t> shape;
  json.begin_array();
  while (json.next_item()) shape.push_back(json.read_uint());
  CHECK(shape == std::vector<std::uint64_t>{2, 0, 18446744073709551615ull});
  REQUIRE(json.next_key(key));
  CHECK(key == "name");
  CHECK(json.read_string() == "w");
  REQUIRE(json.next_key(key));
  CHECK(key == "empty");
  json.begin_object();
  CHECK_FALSE(json.next_key(key));
  REQUIRE(json.next_key(key));
  CHECK(key == "none");
  json.begin_array();
  CHECK_FALSE(json.next_item());
  CHECK_FALSE(json.next_key(key));
  json.finish();
}

TEST_CASE("JsonReader decodes escapes, \\u and surrogate pairs into UTF-8") {
  JsonReader json(R"("q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 raw é")");
  CHECK(json.read_string() == "q\" b\\ s/ \b\f\n\r\t \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 raw \xC3\xA9");
}

TEST_CASE("JsonReader refuses malformed text, naming the byte offset") {
  auto string_error = [](std::string text, std::initializer_list<std::string_view> parts) {
    check_error<IoError>([&] { JsonReader(text, "ctx", 8).read_string(); }, parts);
  };
  string_error(R"("abc)", {"ctx at byte 12: the string does not end"});
  string_error(R"("a\x")", {"at byte 10: an unknown escape sequence"});
  string_error(R"("\ude00")", {"at byte 9: a lone low surrogate"});
  string_error(R"("\ud83d x")", {"at byte 9: a high surrogate without a low one"});
  string_error(R"("\ud83d\u0041")", {"at byte 9: a high surrogate without a low one"});
  string_error(R"("\u12G4")", {"at byte 13: expected 4 hex digits after \\u, found 'G'"});
  string_error("\"tab\there\"", {"at byte 12: a control character in a string must be escaped"});
  string_error("\"bad \xFF\"", {"at byte 13: invalid UTF-8"});
  string_error("\"overlong \xC0\x80\"", {"at byte 18: invalid UTF-8"});
  string_error("\"surrogate \xED\xA0\x80\"", {"at byte 19: invalid UTF-8"});
  string_error("\"cut \xE2\x82\"", {"at byte 13: invalid UTF-8"});
  string_error("42", {"at byte 8: expected a string, found '4'"});
  string_error("", {"expected a string, found the end of the text"});
  string_error("\x01", {"found byte 0x01"});

  auto uint_error = [](std::string text, std::initializer_list<std::string_view> parts) {
    check_error<IoError>([&] { JsonReader(text).read_uint("a size"); }, parts);
  };
  uint_error("18446744073709551616", {"JSON at byte 0: expected a size, found one over 2^64-1"});
  uint_error("99999999999999999999999", {"found one over 2^64-1"});
  uint_error("-1", {"expected a size, found '-'"});
  uint_error("1.5", {"expected a size, found a fraction"});
  uint_error("1e3", {"found a fraction"});
  uint_error("007", {"a number has a leading zero"});
  uint_error("\"7\"", {"expected a size, found '\"'"});

  auto walk = [](std::string text) {
    JsonReader json(text);
    std::string key;
    json.begin_object();
    while (json.next_key(key)) {
      json.begin_array();
      while (json.next_item()) json.read_uint();
    }
    json.finish();
  };
  CHECK_NOTHROW(walk(R"({"a": [1, 2], "b": []})"));
  check_error<IoError>([&] { walk(R"({"a" [1]})"); }, {"at byte 5: expected ':' after a key, found '['"});
  check_error<IoError>([&] { walk(R"({"a": [1,]})"); }, {"at byte 9: a trailing comma"});
  check_error<IoError>([&] { walk(R"({"a": [1 2]})"); }, {"at byte 9: expected ',' or ']', found '2'"});
  check_error<IoError>([&] { walk(R"({"a": [1], })"); }, {"at byte 11: a trailing comma"});
  check_error<IoError>([&] { walk(R"({"a": [1]} x)"); }, {"at byte 11: expected the end of the JSON text, found 'x'"});
  check_error<IoError>([&] { walk(R"({"a": [1])"); }, {"at byte 9: expected ',' or '}', found the end of the text"});
  check_error<IoError>([&] { walk(R"({1: []})"); }, {"at byte 1: expected a string key, found '1'"});
  check_error<IoError>([&] { walk(R"([])"); }, {"at byte 0: expected an object, found '['"});
}

TEST_CASE("JsonReader stops nesting at max_depth") {
  auto nest = [](int depth) {
    const std::string text =
        std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
    JsonReader json(text);
    for (int i = 0; i < depth; ++i) json.begin_array();
    for (int i = 0; i < depth; ++i) CHECK_FALSE(json.next_item());
    json.finish();
  };
  CHECK_NOTHROW(nest(JsonReader::max_depth));
  check_error<IoError>([&] { nest(JsonReader::max_depth + 1); }, {"at byte 16: nesting deeper than 16 levels"});
}

TEST_CASE("json_quote escapes what JSON requires and reads back unchanged") {
  CHECK(json_quote("plain") == "\"plain\"");
  CHECK(json_quote("a\"b\\c\n\t\x01\x1f/é") == "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/é\"");
  const std::string tricky = "q\" \\ \b\f\n\r\t \x01 \x7f \xC3\xA9 \xF0\x9F\x98\x80";
  CHECK(JsonReader(json_quote(tricky)).read_string() == tricky);
  check_error<duel::ValueError>([] { json_quote("ok \xFF"); }, {"json_quote: invalid UTF-8 at byte 3"});
}
