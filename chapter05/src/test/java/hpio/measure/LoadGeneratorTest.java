package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.demo.DemoBackend;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The built-in load generator of {@code make stress}: its response reader on
 * responses cut at every byte, and short real runs against the demo backend.
 * (No assertion on speed: only that requests completed and nothing failed.)
 */
class LoadGeneratorTest {

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }

    @Test
    void readsAResponseCutAnywhere() throws Exception {
        byte[] r = ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-LENGTH: 5\r\n\r\nhello");
        for (int cut = 0; cut <= r.length; cut++) {
            HttpResponseReader reader = new HttpResponseReader();
            int used = reader.feed(r, 0, cut);
            assertThat(used).isEqualTo(cut);
            assertThat(reader.complete()).isEqualTo(cut == r.length);
            used = reader.feed(r, cut, r.length - cut);
            assertThat(used).isEqualTo(r.length - cut);
            assertThat(reader.complete()).isTrue();
            assertThat(reader.status()).isEqualTo(200);
            assertThat(reader.closes()).isFalse();
        }
    }

    @Test
    void stopsAtTheEndOfTheBodyAndIsReusable() throws Exception {
        byte[] two = ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nnoXYZ");
        HttpResponseReader reader = new HttpResponseReader();
        assertThat(reader.feed(two, 0, two.length)).isEqualTo(two.length - 3);
        assertThat(reader.complete()).isTrue();
        assertThat(reader.status()).isEqualTo(404);
        assertThat(reader.closes()).isTrue();

        reader.reset();
        byte[] untilClose = ascii("HTTP/1.0 200 OK\r\n\r\nbody until the close");
        assertThat(reader.feed(untilClose, 0, untilClose.length)).isEqualTo(untilClose.length);
        assertThat(reader.complete()).isFalse();
        assertThat(reader.endOfStream()).isTrue();

        reader.reset();
        assertThat(reader.feed(ascii("HTTP/1.1 204 No Content\r\n\r\n"), 0, 27)).isEqualTo(27);
        assertThat(reader.complete()).isTrue();
        reader.reset();
        reader.feed(ascii("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ncut"), 0, 41);
        assertThat(reader.endOfStream()).isFalse();                 // closed before the whole body
    }

    @Test
    void rejectsWhatIsNotHttp() {
        byte[] junk = ascii("SSH-2.0-OpenSSH_9.2\r\n\r\n");
        assertThatThrownBy(() -> new HttpResponseReader().feed(junk, 0, junk.length))
                .isInstanceOf(HttpResponseReader.ProtocolException.class);
    }

    @Test
    void parsesTheCommandLineLikeWrk() {
        LoadGenerator.Options o = LoadGenerator.parse(new String[] {"-c", "50", "-t", "2", "-d", "3s", "--close",
                "--warmup", "1", "http://127.0.0.1:9001/x?y=1"});
        assertThat(o).isEqualTo(new LoadGenerator.Options("127.0.0.1", 9001, "/x?y=1", 50, 2, 3.0, 1.0, true, 2000));
        assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"-c", "0", "http://127.0.0.1:1/"}))
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"-c", "5"})).hasMessageContaining("URL");
    }

    @Test
    void keepAliveAndOneConnectionPerRequestAgainstTheDemoBackend() throws Exception {
        try (DemoBackend backend = new DemoBackend("127.0.0.1", 0, "T", "auto")) {
            Thread server = Thread.ofPlatform().daemon().start(() -> {
                try {
                    backend.run();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String url = "http://127.0.0.1:" + backend.port() + "/";
            for (boolean close : new boolean[] {false, true}) {
                LoadGenerator.Result r = LoadGenerator.run(new LoadGenerator.Options("127.0.0.1", backend.port(), "/",
                        8, 2, 0.5, close ? 0 : 0.2, close, 10_000));
                assertThat(r.requests()).as("requests completed, close=" + close + ", " + url).isPositive();
                assertThat(r.errors()).as("errors, close=" + close).isZero();
                assertThat(r.latencyMicros().getTotalCount()).isEqualTo(r.requests());
            }
            backend.stop();
            server.join(20_000);
        }
    }
}
