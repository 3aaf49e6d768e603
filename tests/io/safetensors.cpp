#include "duel/io/safetensors.hpp"

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "duel/tensor/factories.hpp"
#include "io/io_test.hpp"

using duel::IoError;
using duel::Shape;
using duel::StateDict;
using duel::Tensor;
using duel::io::Dtype;
using duel::io::SafetensorsFile;
using duel::test::check_error;

namespace {

// A safetensors file's bytes: the header's length as 8 little-endian bytes, the header padded
// with spaces to a multiple of 8 (as the reference writer does), then the data.
std::string safetensors_bytes(std::string header, std::string_view data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + std::string(data);
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

template <class T>
std::vector<T> values(const Tensor<T>& t) {
  return {t.begin(), t.end()};
}

// Writes a file with this header and data and checks that opening it fails with an IoError
// naming the file and containing every one of parts.
void check_refused(const std::string& header, std::string_view data, std::initializer_list<std::string_view> parts) {
  duel::test::TempDir dir;
  const auto path = dir / "hostile.safetensors";
  duel::test::write_bytes(path, safetensors_bytes(header, data));
  const std::string message = check_error<IoError>([&] { SafetensorsFile::open(path); }, parts);
  CHECK_MESSAGE(message.find("safetensors '" + path.string() + "': ") == 0, message);
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}

}  // namespace

TEST_CASE("save_safetensors and load_safetensors round-trip names, order, shapes, values and metadata") {
  duel::test::TempDir dir;
  StateDict state;
  Tensor<float> weight({3, 4});
  for (duel::index_t i = 0; i < weight.numel(); ++i) weight.data()[i] = 0.1f * static_cast<float>(i) - 0.55f;
  state.insert("G.fc.weight", weight);
  state.insert("G.fc.bias", duel::full<float>({4}, -1.5f));
  state.insert("step", duel::full<float>(Shape{}, 1200.0f));  // a scalar: shape []
  state.insert("empty", Tensor<float>({0, 5}));
  state.insert("A.z", duel::full<float>({2}, 3.0f));  // not sorted: file order is state order
  state.metadata = {{"format", "pt"}, {"note", "caf\xC3\xA9 \"quoted\"\n"}, {"step", "1200"}};
  const auto path = dir / "g.safetensors";
  duel::io::save_safetensors(path, state);

  const StateDict loaded = duel::io::load_safetensors(path);
  REQUIRE(loaded.size() == state.size());
  auto a = state.begin();
  for (auto b = loaded.begin(); b != loaded.end(); ++a, ++b) {
    CHECK(b->first == a->first);
    CHECK(b->second.shape() == a->second.shape());
    CHECK(values(b->second) == values(a->second));
  }
  CHECK(loaded.metadata == state.metadata);

  const std::string bytes = duel::test::read_bytes(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  CHECK(n % 8 == 0);
  CHECK(bytes.size() == 8 + n + 4 * (12 + 4 + 1 + 2));
  const std::string header = bytes.substr(8, n);
  CHECK(header.rfind(R"({"__metadata__":{"format":"pt","note":"café \"quoted\"\n","step":"1200"},"G.fc.weight":)", 0) ==
        0);
  CHECK(header.find(R"("step":{"dtype":"F32","shape":[],"data_offsets":[64,68]})") != std::string::npos);
  CHECK(header.find(R"("empty":{"dtype":"F32","shape":[0,5],"data_offsets":[68,68]})") != std::string::npos);
}

TEST_CASE("save_safetensors writes the reference implementation's bytes") {
  duel::test::TempDir dir;
  StateDict state;
  state.insert("a", duel::full<float>({2}, 1.0f));
  duel::io::save_safetensors(dir / "a.safetensors", state);
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";  // 54 bytes, padded to 56
  CHECK(duel::test::read_bytes(dir / "a.safetensors") ==
        std::string("\x38\0\0\0\0\0\0\0", 8) + header + "  " + raw<float>({1.0f, 1.0f}));

  duel::io::save_safetensors(dir / "empty.safetensors", StateDict());
  CHECK(duel::test::read_bytes(dir / "empty.safetensors") == std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
  CHECK(duel::io::load_safetensors(dir / "empty.safetensors").empty());
}

TEST_CASE("save_safetensors refuses names a reader could not take back") {
  duel::test::TempDir dir;
  StateDict bad_name;
  bad_name.insert("__metadata__", Tensor<float>({1}));
  check_error<duel::ValueError>([&] { duel::io::save_safetensors(dir / "x", bad_name); },
                                {"may not be named __metadata__"});
  StateDict not_utf8;
  not_utf8.insert("w\xFF", Tensor<float>({1}));
  check_error<duel::ValueError>([&] { duel::io::save_safetensors(dir / "x", not_utf8); }, {"invalid UTF-8"});
  CHECK(dir.listing().empty());
}

// What Python's safetensors.torch.save_file writes for
//   {"weight": [[1, 2], [3, 4]] float32, "bias": [0.5, -1] float32, "step": [7] int64,
//    "scale": [0.25, 1e300] float64, "half": [1, 2, 3] float16, "mask": [0, 255] uint8}
// with metadata {"format": "pt"}: compact JSON with __metadata__ first, tensors sorted by dtype
// (widest first) then name, their data back to back in that order, header padded to 8 bytes.
TEST_CASE("a file laid out as Python's safetensors package writes it loads") {
  const std::string header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("step", "I64", "[1]", "[0,8]") + "," +
                             entry("scale", "F64", "[2]", "[8,24]") + "," + entry("bias", "F32", "[2]", "[24,32]") +
                             "," + entry("weight", "F32", "[2,2]", "[32,48]") + "," +
                             entry("half", "F16", "[3]", "[48,54]") + "," + entry("mask", "U8", "[2]", "[54,56]") + "}";
  const std::string data = raw<std::int64_t>({7}) + raw<double>({0.25, 1e300}) + raw<float>({0.5f, -1.0f}) +
                           raw<float>({1, 2, 3, 4}) + raw<std::uint16_t>({0x3C00, 0x4000, 0x4200}) +
                           raw<std::uint8_t>({0, 255});
  duel::test::TempDir dir;
  const auto path = dir / "python.safetensors";
  duel::test::write_bytes(path, safetensors_bytes(header, data));

  const SafetensorsFile file = SafetensorsFile::open(path);
  CHECK(file.names() == std::vector<std::string>{"step", "scale", "bias", "weight", "half", "mask"});
  CHECK(file.metadata() == std::map<std::string, std::string>{{"format", "pt"}});
  CHECK(file.dtype("half") == Dtype::F16);
  CHECK(file.shape("weight") == Shape{2, 2});
  CHECK(file.contains("mask"));
  CHECK_FALSE(file.contains("nope"));
  CHECK(values(file.tensor<std::int64_t>("step")) == std::vector<std::int64_t>{7});
  CHECK(values(file.tensor<double>("scale")) == std::vector<double>{0.25, 1e300});
  CHECK(values(file.tensor<float>("weight")) == std::vector<float>{1, 2, 3, 4});
  CHECK(file.tensor<float>("weight").shape() == Shape{2, 2});
  CHECK(values(file.tensor<float>("bias")) == std::vector<float>{0.5f, -1.0f});
  CHECK(values(file.tensor<std::uint8_t>("mask")) == std::vector<std::uint8_t>{0, 255});

  check_error<IoError>([&] { file.tensor<float>("half"); }, {"tensor 'half' is F16, but F32 was asked for"});
  check_error<IoError>([&] { file.tensor<double>("bias"); }, {"tensor 'bias' is F32, but F64 was asked for"});
  check_error<IoError>([&] { file.tensor<float>("nope"); }, {"python.safetensors': there is no tensor 'nope'"});
  check_error<IoError>([&] { duel::io::load_safetensors(path); }, {"tensor 'step' is I64, but F32 was asked for"});
}

TEST_CASE("the PyTorch fixtures (F64 and I64) open and read") {
  int files = 0;
  for (const auto& item : std::filesystem::directory_iterator(DUEL_FIXTURES_DIR)) {
    if (item.path().extension() != ".safetensors") continue;
    ++files;
    const SafetensorsFile file = SafetensorsFile::open(item.path());
    CHECK(!file.tensors().empty());
    CHECK(file.metadata().count("format") == 1);
    for (const duel::io::TensorInfo& t : file.tensors()) {
      const auto numel =
          (t.dtype == Dtype::F64 ? file.tensor<double>(t.name).numel() : file.tensor<std::int64_t>(t.name).numel());
      CHECK(static_cast<std::uint64_t>(numel) * 8 == t.end - t.begin);
    }
  }
  CHECK(files > 0);
}

TEST_CASE("hostile safetensors files are refused with the reason, before any large allocation") {
  duel::test::TempDir dir;
  auto refused_bytes = [&](const std::string& bytes, std::initializer_list<std::string_view> parts) {
    duel::test::write_bytes(dir / "bad.safetensors", bytes);
    check_error<IoError>([&] { SafetensorsFile::open(dir / "bad.safetensors"); }, parts);
  };
  refused_bytes("", {"the file has 0 bytes, fewer than the 8 of the header length"});
  refused_bytes("short", {"the file has 5 bytes, fewer than the 8"});
  refused_bytes(std::string(8, '\xFF'), {"header length 18446744073709551615 is over the limit of 100000000"});
  refused_bytes(std::string("\x00\xE1\xF5\x05\0\0\0\0", 8) + "{}",
                {"header length 100000000 is more than the 2 bytes after it"});
  refused_bytes(std::string("\x10\0\0\0\0\0\0\0{}", 10), {"header length 16 is more than the 2 bytes after it"});
  check_error<IoError>([&] { SafetensorsFile::open(dir / "none.safetensors"); }, {"for reading: No such file"});

  const std::string a4 = entry("a", "F32", "[1]", "[0,4]");
  check_refused("", "", {"header at byte 8: the header must start with '{'"});
  check_refused(" {}", "", {"the header must start with '{'"});
  check_refused(R"({"a":{"dtype":"F32")", "", {"header at byte 32: expected ',' or '}', found the end of the text"});
  check_refused(R"({"a":{"dtype" "F32","shape":[1],"data_offsets":[0,4]}})", "abcd",
                {"header at byte 22: expected ':' after a key, found '\"'"});
  check_refused("{" + a4 + "}x", "abcd", {"expected the end of the JSON text, found 'x'"});
  check_refused("{\"a\xFF\":{}}", "", {"header at byte 11: invalid UTF-8"});
  check_refused("{" + entry("a", "F33", "[1]", "[0,4]") + "}", "abcd",
                {"header at byte 22: tensor 'a': unknown dtype 'F33' (known: BOOL, U8, I8"});
  check_refused("{" + entry("a", "F32", "[2,3]", "[0,20]") + "}", std::string(20, 'x'),
                {"tensor 'a': F32 [2,3] needs 24 bytes, but data_offsets [0, 20] hold 20"});
  check_refused("{" + entry("a", "F32", "[4]", "[0,16]") + "," + entry("b", "F32", "[4]", "[8,24]") + "}",
                std::string(24, 'x'), {"tensor 'b' at bytes [8, 24] overlaps tensor 'a' at bytes [0, 16]"});
  check_refused("{" + entry("a", "F32", "[4]", "[0,16]") + "}", std::string(8, 'x'),
                {"tensor 'a': data_offsets [0, 16] run past the end of the 8-byte data buffer"});
  check_refused("{" + entry("a", "F32", "[0]", "[8,0]") + "}", std::string(8, 'x'),
                {"tensor 'a': data_offsets [8, 0] end before they begin"});
  check_refused("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[12,20]") + "}",
                std::string(20, 'x'), {"bytes [8, 12) of the data buffer belong to no tensor"});
  check_refused("{" + a4 + "}", std::string(12, 'x'), {"bytes [4, 12) of the data buffer belong to no tensor"});
  check_refused("{}", "x", {"bytes [0, 1) of the data buffer belong to no tensor"});
  check_refused("{" + a4 + "," + a4 + "}", "abcd", {"tensor 'a' appears twice"});
  check_refused("{" + entry("a", "F32", "[4294967296,4294967296,16]", "[0,0]") + "}", "",
                {"tensor 'a': shape [4294967296,4294967296,16] needs over 2^63 bytes"});
  check_refused("{" + entry("a", "F32", "[0,4611686018427387904]", "[0,0]") + "}", "", {"needs over 2^63 bytes"});
  check_refused("{" + entry("a", "U8", "[0,9223372036854775808]", "[0,0]") + "}", "",
                {"tensor 'a': shape size 9223372036854775808 is above 2^63-1"});
  check_refused("{" + entry("a", "F32", "[1]", "[0,99999999999999999999]") + "}", "abcd",
                {"expected a byte offset in the data_offsets of tensor 'a', found one over 2^64-1"});
  check_refused("{" + entry("a", "F32", "[1]", "[0,4,8]") + "}", "abcd",
                {"tensor 'a': data_offsets has more than 2 numbers"});
  check_refused("{" + entry("a", "F32", "[1]", "[0]") + "}", "abcd", {"tensor 'a': data_offsets has 1 numbers, not 2"});
  check_refused("{" + entry("a", "F32", "[-1]", "[0,4]") + "}", "abcd",
                {"expected a size in the shape of tensor 'a', found '-'"});
  check_refused("{" + entry("a", "F32", "[1.0]", "[0,4]") + "}", "abcd", {"found a fraction"});
  check_refused(R"({"a":{"dtype":"F32","shape":[1]}})", "abcd", {"tensor 'a': field 'data_offsets' is missing"});
  check_refused(R"({"a":{"dtype":"F32","dtype":"F32"}})", "abcd", {"tensor 'a': field 'dtype' appears twice"});
  check_refused(R"({"a":{"offsets":[0,4]}})", "abcd", {"tensor 'a': unknown field 'offsets'"});
  check_refused(R"({"a":[1]})", "abcd", {"expected an object describing tensor 'a', found '['"});
  check_refused(R"({"__metadata__":{"step":1}})", "", {"expected a string for __metadata__ entry 'step', found '1'"});
  check_refused(R"({"__metadata__":{"k":"v","k":"w"}})", "", {"__metadata__ key 'k' appears twice"});
  check_refused(R"({"__metadata__":{},"__metadata__":{}})", "", {"__metadata__ appears twice"});
  check_refused("{" + entry("a", "F32", "[" + std::string(200, '1') + "]", "[0,4]") + "}", "abcd",
                {"found one over 2^64-1"});
  std::string long_shape = "[1";
  for (int i = 0; i < 64; ++i) long_shape += ",1";
  check_refused("{" + entry("a", "F32", long_shape + "]", "[0,4]") + "}", "abcd",
                {"tensor 'a': shape has more than 64 sizes"});
}

TEST_CASE("a valid file with a tensor of more than Shape::max_rank dimensions opens, but that tensor is refused") {
  duel::test::TempDir dir;
  duel::test::write_bytes(dir / "deep.safetensors",
                          safetensors_bytes("{" + entry("deep", "U8", "[1,1,1,1,1,1,1,1,1]", "[0,1]") + "}", "x"));
  const SafetensorsFile file = SafetensorsFile::open(dir / "deep.safetensors");
  CHECK(file.tensors()[0].shape.size() == 9);
  check_error<IoError>([&] { file.tensor<std::uint8_t>("deep"); },
                       {"tensor 'deep' has 9 dimensions; Duel's tensors have at most 8"});
}

TEST_CASE("a file truncated after it was opened gives an IoError when read") {
  duel::test::TempDir dir;
  const auto path = dir / "t.safetensors";
  const std::string header = "{" + entry("a", "F32", "[25000]", "[0,100000]") + "}";  // 63 bytes, padded to 64
  duel::test::write_bytes(path, safetensors_bytes(header, std::string(100000, 'x')));
  const SafetensorsFile file = SafetensorsFile::open(path);
  std::filesystem::resize_file(path, 8 + 64 + 50000);
  check_error<IoError>([&] { file.tensor<float>("a"); },
                       {"t.safetensors' ends at byte 50072, but 100000 bytes were expected at byte 72"});
}
