package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * Each chart is written, is well-formed SVG (the JDK's XML parser reads it) and
 * names its series and groups in text. What it looks like is seen in docs/charts/.
 */
public class ChartsTest {
    @TempDir
    Path dir;

    /** The SVG parsed; fails the test when it is not well-formed XML with an svg root. */
    public static Document svg(Path file) throws Exception {
        assertThat(file).isRegularFile();
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder().parse(file.toFile());
        assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
        assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        return doc;
    }

    /** Every text element's content, in document order. */
    public static List<String> texts(Document doc) {
        NodeList nodes = doc.getElementsByTagNameNS("*", "text");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) out.add(nodes.item(i).getTextContent());
        return out;
    }

    @Test
    void barsAreSvgNamingEverySeriesAndGroup() throws Exception {
        Path file = dir.resolve("bars.svg");
        Charts.bars(file, "Requests per second", "req/s", List.of(
                new Charts.Bar("keep-alive, 100 conns", "epoll", 68_842.0),
                new Charts.Bar("keep-alive, 100 conns", "HAProxy 2.6.12", 51_768.0),
                new Charts.Bar("keep-alive, 5,000 conns", "epoll", 41_427.0),
                new Charts.Bar("keep-alive, 5,000 conns", "HAProxy 2.6.12", null)));
        List<String> texts = texts(svg(file));
        assertThat(texts).contains("Requests per second", "req/s", "epoll", "HAProxy 2.6.12",
                "keep-alive, 100 conns", "keep-alive, 5,000 conns");
        assertThat(texts).as("each measured bar labelled with its value").contains("68,842", "51,768", "41,427");
    }

    @Test
    void logLogIsSvgWithALinePerSeriesAndDecadeTicks() throws Exception {
        Path file = dir.resolve("loglog.svg");
        Charts.logLog(file, "runOnce", "N idle fds", "ns", List.of(
                new Charts.Series("select", List.of(new Charts.Point(10, 300), new Charts.Point(900, 20_000))),
                new Charts.Series("epoll", List.of(new Charts.Point(10, 500), new Charts.Point(10_000, 520)))));
        Document doc = svg(file);
        assertThat(texts(doc)).contains("runOnce", "N idle fds", "ns", "select", "epoll", "100", "1,000");
        assertThat(doc.getElementsByTagNameNS("*", "path").getLength()).as("lines drawn").isGreaterThan(0);
    }

    @Test
    void stressChartsOnePerColumnWithSkippedRowsLeftOut() throws Exception {
        List<Path> files = StressCharts.write(dir, StressReportTest.ROWS);
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("requests-per-second.svg", "p99-latency.svg");
        List<String> rps = texts(svg(files.get(0)));
        assertThat(rps).contains("select", "epoll", "HAProxy 2.6.12", "nginx 1.22.1 stream", "direct (no balancer)",
                "keep-alive, 100 conns", "keep-alive, 5,000 conns", "136,643", "41,677");
        assertThat(texts(svg(files.get(1)))).contains("p99, ms", "727.6", "3.31", "2.50", "47.5");
    }

    /** Only the stress harness draws: the balancer's classes never reach AWT or JFreeChart. */
    @Test
    void onlyTheMeasurePackageImportsTheChartLibrary() throws IOException {
        Path main = Path.of("src/main/java/hpio");
        List<String> wrong;
        try (Stream<Path> files = Files.walk(main)) {
            wrong = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.startsWith(main.resolve("measure")))
                    .filter(p -> {
                        try {
                            String s = Files.readString(p);
                            return s.contains("org.jfree") || s.contains("java.awt");
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(Path::toString).toList();
        }
        assertThat(wrong).isEmpty();
    }
}
