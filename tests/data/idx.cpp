#include "duel/data/idx.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "data/helpers.hpp"

using duel::IoError;
using duel::Shape;
using duel::Tensor;
using duel::data::decode_idx;
using duel::data::read_idx;
using duel::data::write_idx;
using duel::test::TempDir;
using Bytes = std::vector<std::uint8_t>;

namespace {

template <class T>
Tensor<T> arange(const Shape& shape, double start, double step) {
  Tensor<T> t(shape);
  for (duel::index_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(start + step * static_cast<double>(i));
  return t;
}

template <class T>
std::string decode_error(const Bytes& bytes) {
  return duel::test::error_of([&] { decode_idx<T>(bytes, "t.idx"); });
}

}  // namespace

TEST_CASE("encode_idx writes the IDX layout: zero, type, rank, big-endian dims and values") {
  auto u8 = arange<std::uint8_t>({2, 3}, 1, 1);
  CHECK(duel::data::encode_idx(u8) == Bytes{0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6});
  Tensor<float> f({2});
  f.data()[0] = 1.0f;
  f.data()[1] = -2.5f;
  CHECK(duel::data::encode_idx(f) == Bytes{0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0});
  Tensor<std::int16_t> s({1});
  s.data()[0] = -2;
  CHECK(duel::data::encode_idx(s) == Bytes{0, 0, 0x0B, 1, 0, 0, 0, 1, 0xff, 0xfe});
  CHECK_THROWS_AS(duel::data::encode_idx(Tensor<std::uint8_t>(Shape{})), duel::ShapeError);
}

TEST_CASE("write_idx and read_idx round-trip every IDX type, raw and gzip") {
  TempDir dir;
  auto check = [&](const auto& t) {
    using T = typename std::decay_t<decltype(t)>::value_type;
    for (const char* name : {"a.idx", "a.idx.gz"}) {
      write_idx(dir / name, t);
      Tensor<T> back = read_idx<T>(dir / name);
      CHECK(back.shape() == t.shape());
      CHECK(std::equal(back.begin(), back.end(), t.begin()));
    }
    CHECK(duel::data::is_gzip(duel::test::read_u8(dir / "a.idx.gz")));
    CHECK(!duel::data::is_gzip(duel::test::read_u8(dir / "a.idx")));
  };
  check(arange<std::uint8_t>({3, 4, 5}, 0, 3));
  check(arange<std::int8_t>({10}, -5, 1));
  check(arange<std::int16_t>({4, 4}, -300, 37));
  check(arange<std::int32_t>({2, 2, 2, 2}, -100000, 12345));
  check(arange<float>({7, 3}, -1.5, 0.37));
  check(arange<double>({5}, 1e-300, 1e299));
  check(Tensor<std::uint8_t>(Shape{0, 28, 28}));
  CHECK(duel::data::read_idx_u8(dir / "a.idx.gz").shape() == Shape{0, 28, 28});
}

TEST_CASE("gzip is told by content, not by the file name") {
  TempDir dir;
  auto t = arange<std::uint8_t>({4, 2}, 10, 5);
  duel::test::write_u8(dir / "raw.gz", duel::data::encode_idx(t));
  duel::test::write_u8(dir / "compressed.idx", duel::data::gzip(duel::data::encode_idx(t)));
  CHECK(std::equal(t.begin(), t.end(), duel::data::read_idx_u8(dir / "raw.gz").begin()));
  CHECK(std::equal(t.begin(), t.end(), duel::data::read_idx_u8(dir / "compressed.idx").begin()));
}

TEST_CASE("read_idx converts the stored type, refusing values the target cannot hold") {
  auto s = arange<std::int16_t>({3}, -5, 150);  // -5, 145, 295
  Bytes bytes = duel::data::encode_idx(s);
  Tensor<float> f = decode_idx<float>(bytes);
  CHECK(f.data()[0] == -5.0f);
  CHECK(f.data()[2] == 295.0f);
  CHECK(decode_idx<std::int64_t>(bytes).data()[1] == 145);
  CHECK(decode_error<std::uint8_t>(bytes) == "t.idx at byte 8: value -5 does not fit in uint8");

  Tensor<double> d({3});
  d.data()[0] = 2.7;
  d.data()[1] = -2.7;
  d.data()[2] = 1e300;
  bytes = duel::data::encode_idx(d);
  CHECK(decode_error<float>(bytes) == "t.idx at byte 24: value 1e+300 does not fit in float32");
  d.data()[2] = std::numeric_limits<double>::quiet_NaN();
  bytes = duel::data::encode_idx(d);
  CHECK(decode_error<std::int64_t>(bytes) == "t.idx at byte 24: value nan does not fit in int64");
  d.data()[2] = 0;
  Tensor<std::int64_t> ints = decode_idx<std::int64_t>(duel::data::encode_idx(d));
  CHECK(ints.data()[0] == 2);  // truncated toward zero, as static_cast and torch's .to do
  CHECK(ints.data()[1] == -2);
}

TEST_CASE("decode_idx rejects bad headers, naming the byte offset") {
  const Bytes good = duel::data::encode_idx(arange<std::uint8_t>({2, 3}, 0, 1));
  CHECK(decode_error<std::uint8_t>(Bytes{0, 0, 8}) ==
        "t.idx at byte 3: truncated IDX: the magic number needs 4 bytes, found 3");
  Bytes bad = good;
  bad[0] = 1;
  CHECK(decode_error<std::uint8_t>(bad) ==
        "t.idx at byte 0: not an IDX file: magic starts 0x01 0x00, expected 0x00 0x00");
  bad = good;
  bad[2] = 0x0A;
  CHECK(decode_error<std::uint8_t>(bad) ==
        "t.idx at byte 2: unknown IDX data type 0x0a (known: 0x08 uint8, 0x09 "
        "int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)");
  for (int rank : {0, 9}) {
    bad = good;
    bad[3] = static_cast<std::uint8_t>(rank);
    CHECK(decode_error<std::uint8_t>(bad) == "t.idx at byte 3: rank " + std::to_string(rank) + " is outside 1..8");
  }
  CHECK(decode_error<std::uint8_t>(Bytes(good.begin(), good.begin() + 9)) ==
        "t.idx at byte 9: truncated IDX header: 2 dims end at byte 12, the data has 9 bytes");
}

TEST_CASE("decode_idx requires exactly prod(dims) values") {
  Bytes good = duel::data::encode_idx(arange<std::int32_t>({2, 3}, 0, 1));
  Bytes longer = good;
  longer.push_back(0);
  CHECK(decode_error<float>(longer) == "t.idx at byte 12: dims [2,3] of int32 need 24 bytes of data, found 25");
  CHECK(decode_error<float>(Bytes(good.begin(), good.end() - 1)) ==
        "t.idx at byte 12: dims [2,3] of int32 need 24 bytes of data, found 23");
}

TEST_CASE("huge dims in a tiny file are an error, not an allocation") {
  Bytes two = {0, 0, 0x08, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3};
  CHECK(decode_error<std::uint8_t>(two) ==
        "t.idx at byte 12: dims [4294967295,4294967295] of uint8 need 18446744065119617025 bytes of data, found 3");
  Bytes three = {0, 0, 0x0E, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1};
  CHECK(decode_error<double>(three) ==
        "t.idx at byte 16: dims [4294967295,4294967295,4294967295] of float64 need over 2^64 bytes of data, found 1");
  Bytes zero = {0, 0, 0x08, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK(decode_idx<std::uint8_t>(zero).numel() == 0);
  zero.push_back(7);
  CHECK(decode_error<std::uint8_t>(zero) ==
        "t.idx at byte 16: dims [0,4294967295,4294967295] of uint8 need 0 bytes of data, found 1");

  // Compressed: a 60 MB image set claimed by a 40-byte file.
  Bytes gz = duel::data::gzip(Bytes{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28});
  gz[gz.size() - 4] = 0x10;  // ISIZE: 60000 * 28 * 28 + 16 = 0x02cdc610
  gz[gz.size() - 3] = 0xc6;
  gz[gz.size() - 2] = 0xcd;
  gz[gz.size() - 1] = 0x02;
  CHECK(decode_error<std::uint8_t>(gz).starts_with("t.idx at byte " + std::to_string(gz.size() - 4) +
                                                   ": ISIZE claims 47040016 bytes, but "));
  gz = duel::data::gzip(Bytes{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28});
  CHECK(decode_error<std::uint8_t>(gz) ==
        "t.idx (inflated) at byte 16: dims [60000,28,28] of uint8 need 47040000 bytes of data, found 0");
}

TEST_CASE("read_idx names the file it could not read") {
  TempDir dir;
  using duel::test::error_of;
  const std::string missing = (dir / "missing.idx").string();
  CHECK(error_of([&] { read_idx<float>(missing); }) == "cannot read '" + missing + "': No such file or directory");
  CHECK(error_of([&] { read_idx<float>(dir.path()); }) == "cannot read '" + dir.path().string() + "': not a regular file");
  duel::test::write_u8(dir / "bad.idx", Bytes{0, 0, 8, 1, 0, 0, 0, 5, 1, 2});
  CHECK(error_of([&] { read_idx<float>(dir / "bad.idx"); }) ==
        (dir / "bad.idx").string() + " at byte 8: dims [5] of uint8 need 5 bytes of data, found 2");
}

TEST_CASE("write_idx replaces files atomically and leaves nothing behind on failure") {
  TempDir dir;
  const auto first = arange<std::uint8_t>({3}, 1, 1), second = arange<std::uint8_t>({4}, 9, 1);
  write_idx(dir / "x.idx", first);
  write_idx(dir / "x.idx", second);
  CHECK(duel::data::read_idx_u8(dir / "x.idx").shape() == Shape{4});

  // Renaming over a folder fails: the folder and its file survive, and no temporary file is left.
  std::filesystem::create_directory(dir / "taken.idx");
  duel::test::write_u8(dir / "taken.idx" / "keep", Bytes{42});
  CHECK_THROWS_AS(write_idx(dir / "taken.idx", first), IoError);
  CHECK(duel::test::read_u8(dir / "taken.idx" / "keep") == Bytes{42});

  // A tensor IDX cannot store fails before the existing file is touched.
  CHECK_THROWS_AS(write_idx(dir / "x.idx", Tensor<std::uint8_t>(Shape{})), duel::ShapeError);
  CHECK(duel::data::read_idx_u8(dir / "x.idx").shape() == Shape{4});

  CHECK_THROWS_AS(write_idx(dir / "no-such-folder" / "y.idx", first), IoError);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 2);  // x.idx and taken.idx
}
