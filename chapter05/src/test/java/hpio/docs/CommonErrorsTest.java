package hpio.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import hpio.nativeio.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * docs/09-common-errors.md and {@link CommonErrors} cannot drift: every message the
 * program provokes in this process is on the page, in its section (fd numbers,
 * ports and milliseconds masked). The messages that need a child JVM under a low
 * open-files limit are checked the same way by {@code make errors}.
 */
class CommonErrorsTest {
    private static List<String> page() throws IOException {
        return Files.readAllLines(MarkdownDoc.repositoryRoot().resolve(CommonErrors.PAGE));
    }

    @Test
    void everyMessageProvokedInProcessIsOnPage09InItsSection() throws Exception {
        assumeTrue(Platform.isLinux(), "page 09 shows Linux's messages (epoll)");
        List<CommonErrors.Message> got = CommonErrors.inProcess();
        Set<String> sections = new TreeSet<>();
        for (CommonErrors.Message m : got) if (m.checked() != null) sections.add(m.section());
        assertThat(sections).as("each section of page 09 with an in-process reproduction got a message")
                .containsExactlyInAnyOrder("EBADF", "EEXIST", "ENOENT", "EINTR", "An exhausted pool", "FD_SETSIZE",
                        "Other messages you may meet");
        assertThat(got.stream().filter(m -> m.checked() != null).count()).as("messages got: " + got)
                .isGreaterThanOrEqualTo(20);
        assertThat(CommonErrors.notOnPage(got, page())).as("messages provoked for real but not on page 09").isEmpty();
    }

    @Test
    void onlyFdNumbersPortsAndMillisecondsAreMasked() {
        assertThat(CommonErrors.mask("backend 127.0.0.1:41847 failed (connect(fd=32) failed: ECONNREFUSED); "
                + "the handler of fd 31 threw; returned 0 after 23 ms; epoll_wait(epfd=4)"))
                .isEqualTo("backend 127.0.0.1:PORT failed (connect(fd=N) failed: ECONNREFUSED); "
                        + "the handler of fd N threw; returned 0 after N ms; epoll_wait(epfd=N)");
        assertThat(CommonErrors.mask("FD_SETSIZE (1024); (1 in use); (1 refused so far); exit 2"))
                .as("other numbers stay").isEqualTo("FD_SETSIZE (1024); (1 in use); (1 refused so far); exit 2");
    }

    @Test
    void aMessageTheProgramGetsButThePageLacksIsNamedWithItsSection() throws IOException {
        String section = "EBADF";
        String onPage = "hpio.nativeio.NativeIOException: epoll_ctl(ADD, fd=11) failed: EBADF (Bad file descriptor)";
        assertThat(CommonErrors.notOnPage(List.of(new CommonErrors.Message(section, onPage, onPage)), page()))
                .as("another fd number is still the page's message").isEmpty();

        String reworded = "hpio.nativeio.NativeIOException: epoll_ctl(ADD, fd=11) failed: EBADF (bad fd)";
        assertThat(CommonErrors.notOnPage(List.of(new CommonErrors.Message(section, reworded, reworded)), page()))
                .singleElement().asString()
                .startsWith("docs/09-common-errors.md, section 'EBADF': not on the page: " + reworded);

        assertThat(CommonErrors.notOnPage(List.of(new CommonErrors.Message("FD_SETSIZE", onPage, onPage)), page()))
                .as("on the page, but in another section").hasSize(1);
        assertThat(CommonErrors.notOnPage(List.of(new CommonErrors.Message("EBADX", onPage, onPage)), page()))
                .singleElement().asString().startsWith("docs/09-common-errors.md has no section '## EBADX'");
        assertThat(CommonErrors.notOnPage(List.of(new CommonErrors.Message(section, "  (a note)", null)), page()))
                .as("a note is not checked").isEmpty();
    }
}
