#include "duel/io/svg_plot.hpp"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "io/io_test.hpp"

using duel::io::SvgPlot;
using duel::io::detail::nice_axis;
using duel::test::check_error;
using duel::test::count;

namespace {

// Checks that svg is well-formed enough: tags balanced and properly nested, no '<' inside a tag,
// and every '&' starting one of XML's five entities. Returns the number of elements.
int check_xml(const std::string& svg) {
  std::vector<std::string> open;
  int elements = 0;
  for (std::size_t pos = 0; pos < svg.size(); ++pos) {
    if (svg[pos] == '&') {
      bool entity = false;
      for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
        entity = entity || svg.compare(pos, std::strlen(e), e) == 0;
      CHECK_MESSAGE(entity, "a bare '&' at ", pos);
    }
    if (svg[pos] == '>') FAIL_CHECK("a '>' outside a tag at ", pos);
    if (svg[pos] != '<') continue;
    const std::size_t end = svg.find('>', pos);
    REQUIRE(end != std::string::npos);
    const std::string tag = svg.substr(pos + 1, end - pos - 1);
    CHECK_MESSAGE(tag.find('<') == std::string::npos, "a '<' inside the tag ", tag);
    if (tag.front() == '?') {
      CHECK(tag.back() == '?');
    } else if (tag.front() == '/') {
      REQUIRE_MESSAGE(!open.empty(), "a closing tag without an opening one: ", tag);
      CHECK(tag.substr(1) == open.back());
      open.pop_back();
    } else {
      ++elements;
      if (tag.back() != '/') open.push_back(tag.substr(0, tag.find(' ')));
    }
    pos = end;
  }
  CHECK(open.empty());
  return elements;
}

}  // namespace

TEST_CASE("nice_axis picks steps of 1, 2 or 5 times a power of ten") {
  auto check = [](double lo, double hi, double axis_lo, double axis_hi, double step) {
    const auto axis = nice_axis(lo, hi);
    CHECK(axis.lo == doctest::Approx(axis_lo));
    CHECK(axis.hi == doctest::Approx(axis_hi));
    CHECK(axis.step == doctest::Approx(step));
  };
  check(0, 1, 0, 1, 0.2);
  check(0.13, 0.97, 0, 1, 0.2);
  check(-3, 7, -4, 8, 2);
  check(0, 10000, 0, 10000, 2000);
  check(0.6931, 0.7105, 0.69, 0.715, 0.005);
  check(5, 5, 4.4, 5.6, 0.2);             // one value: widened by 10 %
  check(0, 0, -1, 1, 0.5);                // zero: widened by 1
  check(INFINITY, -INFINITY, 0, 1, 0.2);  // no finite points

  const auto axis = nice_axis(0.13, 0.97);
  std::vector<std::string> labels;
  for (double t : axis.ticks()) labels.push_back(axis.label(t));
  CHECK(labels == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  const auto big = nice_axis(0, 20000);
  CHECK(big.label(big.ticks().back()) == "20000");
  CHECK(nice_axis(0, 3e9).label(2e9) == "2e+09");
  CHECK(nice_axis(-1, 1).label(-1e-17) == "0.0");
}

TEST_CASE("smooth is TensorBoard's debiased moving average") {
  using duel::io::detail::smooth;
  CHECK(smooth({1, 1, 1}, 0.6) == std::vector<double>{1, 1, 1});  // debiasing keeps a constant constant
  const std::vector<double> s = smooth({0, 2}, 0.5);
  CHECK(s[0] == 0.0);
  CHECK(s[1] == doctest::Approx(1.0 / 0.75));  // (0.5 * 0 + 0.5 * 2) / (1 - 0.25)
  const std::vector<double> gap = smooth({1, NAN, 3}, 0.5);
  CHECK(gap[0] == 1.0);
  CHECK(std::isnan(gap[1]));
  CHECK(gap[2] == doctest::Approx((0.25 + 1.5) / 0.75));  // the NaN does not count as a step
  CHECK(smooth({4, 5}, 0.0) == std::vector<double>{4, 5});
}

TEST_CASE("xml_escape escapes markup and drops what XML cannot hold") {
  using duel::io::detail::xml_escape;
  CHECK(xml_escape("D(x) & <G> \"q\" 'a'") == "D(x) &amp; &lt;G&gt; &quot;q&quot; &apos;a&apos;");
  CHECK(xml_escape("caf\xC3\xA9 \x01x\xFFy\tz") == "caf\xC3\xA9 xy\tz");
}

TEST_CASE("SvgPlot draws every series, raw and smoothed, with a legend, skipping NaN and inf") {
  SvgPlot plot({.title = "GAN <losses>", .x_label = "step", .y_label = "loss & score", .smoothing = 0.6});
  plot.add("D loss", {0, 100, 200, 300, 400}, {1.4, 1.2, NAN, 1.1, 1.0});
  plot.add("G & <x>", {0.7, 0.9, INFINITY, 1.3});
  const std::string svg = plot.str();
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(check_xml(svg) > 20);
  CHECK(count(svg, "<polyline") == 4);
  CHECK(count(svg, "stroke-opacity=\"0.25\"") == 2);
  CHECK(count(svg, ">D loss</text>") == 1);
  CHECK(count(svg, ">G &amp; &lt;x&gt;</text>") == 1);
  CHECK(count(svg, ">GAN &lt;losses&gt;</text>") == 1);
  CHECK(count(svg, ">loss &amp; score</text>") == 1);
  CHECK(count(svg, ">400</text>") == 1);  // the last x tick
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
  // The raw D loss curve has its 4 finite points, each "x,y ".
  const std::size_t raw = svg.find("points=\"", svg.find("<polyline"));
  const std::string points = svg.substr(raw + 8, svg.find('"', raw + 8) - raw - 8);
  CHECK(count(points, ",") == 4);
}

TEST_CASE("SvgPlot saves what str() renders, also with no series") {
  duel::test::TempDir dir;
  SvgPlot empty;
  CHECK(check_xml(empty.str()) > 5);
  SvgPlot plot({.smoothing = 0.0});
  plot.add("flat", std::vector<double>{3, 3, 3});
  CHECK(count(plot.str(), "<polyline") == 1);
  plot.save(dir / "plot.svg");
  CHECK(duel::test::read_bytes(dir / "plot.svg") == plot.str());
}

TEST_CASE("SvgPlot refuses bad series and options") {
  SvgPlot plot;
  check_error<duel::ValueError>(
      [&] {
        plot.add("D", {1, 2, 3}, {1, 2});
      },
      {"series 'D' has 3 x values but 2 y values"});
  check_error<duel::ValueError>([] { SvgPlot({.smoothing = 1.0}); }, {"smoothing must be in [0, 1), got 1"});
  check_error<duel::ValueError>([] { SvgPlot({.width = 10}); }, {"size 10x440 is outside"});
}
