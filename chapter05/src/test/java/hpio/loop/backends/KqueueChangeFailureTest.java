package hpio.loop.backends;

import static hpio.loop.backends.FakeKqueue.add;
import static hpio.loop.backends.FakeKqueue.addEdge;
import static hpio.loop.backends.FakeKqueue.delete;
import static hpio.nativeio.BsdKqueue.EVFILT_READ;
import static hpio.nativeio.BsdKqueue.EVFILT_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.loop.EventLoop;
import hpio.loop.Events;
import hpio.loop.IoHandler;
import hpio.nativeio.BsdKqueue;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A kqueue change that fails half-way leaves the kernel with exactly the old
 * interest, which is what {@link EventLoop}'s table keeps when the backend throws;
 * and deleting what is already gone (ENOENT, EBADF) counts as done. Each failure
 * point is made by the fake kernel failing the Nth change; the loop is the real one.
 */
class KqueueChangeFailureTest {
    private static final int R = Events.READ, W = Events.WRITE, E = Events.EDGE;
    /** Any errno but ENOENT and EBADF, which a delete counts as done. */
    private static final int FAIL = Errno.ENOMEM;
    private static final IoHandler NOTHING = (fd, events) -> { };

    private FakeKqueue kernel;
    private EventLoop loop;

    private void open() throws IOException {
        kernel = new FakeKqueue(BsdKqueue.MACOS);
        loop = new EventLoop(kernel.open(), FakeKqueue.BATCH);
    }

    @AfterEach
    void close() throws IOException {
        if (loop != null) loop.close();
    }

    /** The loop registered with {@code interest} (0: not registered), and the kernel holding just that. */
    private void assertAgree(int fd, int interest) {
        assertThat(loop.isRegistered(fd) ? loop.interest(fd) : 0).as("the loop's table for fd %d", fd)
                .isEqualTo(interest);
        List<String> expected = new ArrayList<>();
        String clear = (interest & E) != 0 ? " EV_CLEAR" : "";
        if ((interest & R) != 0) expected.add("EVFILT_READ" + clear);
        if ((interest & W) != 0) expected.add("EVFILT_WRITE" + clear);
        assertThat(kernel.filtersOf(fd)).as("the kernel's filters for fd %d (table: %s)", fd, Events.toString(interest))
                .containsExactlyElementsOf(expected);
    }

    private void failingModify(int fd, int to, String message) {
        assertThatThrownBy(() -> loop.modify(fd, to))
                .isInstanceOf(NativeIOException.class).hasMessageStartingWith(message);
    }

    @Test
    void addReadWriteWhoseWriteAddFailsDeletesReadAgain() throws IOException {
        open();
        kernel.failChange(2, FAIL);
        assertThatThrownBy(() -> loop.add(7, R | W, NOTHING))
                .isInstanceOf(NativeIOException.class)
                .hasMessageStartingWith("kevent(EV_ADD EVFILT_WRITE, fd=7) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(
                add(7, EVFILT_READ), add(7, EVFILT_WRITE).failed(FAIL), delete(7, EVFILT_READ));
        assertAgree(7, 0);
    }

    @Test
    void modifyReadToWriteWhoseWriteAddFailsKeepsRead() throws IOException {
        open();
        loop.add(5, R, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(1, FAIL);
        failingModify(5, W, "kevent(EV_ADD EVFILT_WRITE, fd=5) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(add(5, EVFILT_WRITE).failed(FAIL));
        assertAgree(5, R);
    }

    @Test
    void modifyReadToWriteWhoseReadDeleteFailsTakesWriteBack() throws IOException {
        open();
        loop.add(5, R, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(2, FAIL);
        failingModify(5, W, "kevent(EV_DELETE EVFILT_READ, fd=5) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(
                add(5, EVFILT_WRITE), delete(5, EVFILT_READ).failed(FAIL), delete(5, EVFILT_WRITE));
        assertAgree(5, R);
    }

    @Test
    void switchToEdgeWhoseReAddFailsPutsTheLevelFilterBack() throws IOException {
        open();
        loop.add(5, R, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(2, FAIL);
        failingModify(5, R | E, "kevent(EV_ADD|EV_CLEAR EVFILT_READ, fd=5) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(
                delete(5, EVFILT_READ), addEdge(5, EVFILT_READ).failed(FAIL), add(5, EVFILT_READ));
        assertAgree(5, R);
    }

    @Test
    void switchOfBothFiltersWhoseSecondReAddFailsPutsBothBack() throws IOException {
        open();
        loop.add(5, R | W, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(4, FAIL);
        failingModify(5, R | W | E, "kevent(EV_ADD|EV_CLEAR EVFILT_WRITE, fd=5) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(
                delete(5, EVFILT_READ), addEdge(5, EVFILT_READ),
                delete(5, EVFILT_WRITE), addEdge(5, EVFILT_WRITE).failed(FAIL),
                add(5, EVFILT_WRITE), delete(5, EVFILT_READ), add(5, EVFILT_READ));   // undone in reverse
        assertAgree(5, R | W);
    }

    @Test
    void edgeToLevelWhileAddingWriteIsUndoneWithTheOldEvClear() throws IOException {
        open();
        loop.add(5, R | E, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(3, FAIL);
        failingModify(5, R | W, "kevent(EV_ADD EVFILT_READ, fd=5) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(
                add(5, EVFILT_WRITE), delete(5, EVFILT_READ), add(5, EVFILT_READ).failed(FAIL),
                addEdge(5, EVFILT_READ), delete(5, EVFILT_WRITE));
        assertAgree(5, R | E);
    }

    /** Every interest to every other, failing at each of its changes in turn: never a half-applied change. */
    @Test
    void everyFailurePointOfEveryTransitionLeavesTableAndKernelAgreeing() throws IOException {
        int[] interests = {R, W, R | W, R | E, W | E, R | W | E};
        int cases = 0;
        for (int from : interests) {
            for (int to : interests) {
                open();                                        // count the changes this transition takes
                loop.add(9, from, NOTHING);
                kernel.forgetChanges();
                loop.modify(9, to);
                int steps = kernel.changes.size();
                loop.close();
                for (int k = 1; k <= steps; k++) {
                    open();
                    loop.add(9, from, NOTHING);
                    kernel.failChange(k, FAIL);
                    assertThatThrownBy(() -> loop.modify(9, to))
                            .as("%s -> %s, change %d of %d failing", Events.toString(from), Events.toString(to), k, steps)
                            .isInstanceOf(NativeIOException.class);
                    assertAgree(9, from);
                    loop.close();
                    cases++;
                }
                // add() from nothing, failing at each of its changes.
                for (int k = 1; k <= Integer.bitCount(to & (R | W)); k++) {
                    open();
                    kernel.failChange(k, FAIL);
                    assertThatThrownBy(() -> loop.add(9, to, NOTHING)).isInstanceOf(NativeIOException.class);
                    assertAgree(9, 0);
                    loop.close();
                    cases++;
                }
            }
        }
        loop = null;
        assertThat(cases).isGreaterThan(40);
    }

    @Test
    void anUndoThatFailsTooRidesAlongAsSuppressed() throws IOException {
        // The kernel refused the very filter it took a moment ago: the fd's filters are
        // then unknown, and the exception says so; the caller is expected to close it.
        open();
        kernel.failChange(2, FAIL);
        kernel.failChange(3, FAIL);
        assertThatThrownBy(() -> loop.add(7, R | W, NOTHING))
                .isInstanceOf(NativeIOException.class)
                .hasMessageStartingWith("kevent(EV_ADD EVFILT_WRITE, fd=7)")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().asString()
                        .contains("kevent(EV_DELETE EVFILT_READ, fd=7) failed: ENOMEM"));
        assertThat(kernel.filtersOf(7)).containsExactly("EVFILT_READ");
    }

    // ---------------------------------------------------------------- deleting what is gone

    @Test
    void deletingAFilterThatIsAlreadyGoneCountsAsDone() throws IOException {
        open();
        loop.add(3, R, NOTHING);
        kernel.registered.clear();                             // gone behind our back (ENOENT on delete)
        kernel.forgetChanges();
        loop.remove(3);
        assertThat(kernel.changes).containsExactly(delete(3, EVFILT_READ).failed(Errno.ENOENT));
        assertAgree(3, 0);
    }

    @Test
    void removeAfterTheFdWasClosedCountsAsDone() throws IOException {
        // close(2) first drops the fd's filters; EV_DELETE then fails with EBADF.
        open();
        loop.add(3, R | W, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(1, Errno.EBADF);
        kernel.failChange(2, Errno.EBADF);
        loop.remove(3);
        assertThat(kernel.changes).containsExactly(
                delete(3, EVFILT_READ).failed(Errno.EBADF), delete(3, EVFILT_WRITE).failed(Errno.EBADF));
        assertThat(loop.isRegistered(3)).isFalse();
    }

    @Test
    void aDeleteInModifyThatFindsTheFilterGoneIsDoneAndUndoesNothing() throws IOException {
        open();
        loop.add(5, R, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(2, Errno.ENOENT);
        loop.modify(5, W);
        assertThat(kernel.changes).containsExactly(add(5, EVFILT_WRITE), delete(5, EVFILT_READ).failed(Errno.ENOENT));
        assertThat(loop.interest(5)).isEqualTo(W);
    }

    @Test
    void removeDeletesEveryFilterEvenAfterOneFailsAndThrowsTheFirst() throws IOException {
        // remove() undoes nothing: the loop has already forgotten the fd.
        open();
        loop.add(3, R | W, NOTHING);
        kernel.forgetChanges();
        kernel.failChange(1, FAIL);
        assertThatThrownBy(() -> loop.remove(3))
                .isInstanceOf(NativeIOException.class)
                .hasMessageStartingWith("kevent(EV_DELETE EVFILT_READ, fd=3) failed: ENOMEM");
        assertThat(kernel.changes).containsExactly(delete(3, EVFILT_READ).failed(FAIL), delete(3, EVFILT_WRITE));
        assertThat(loop.isRegistered(3)).isFalse();
    }
}
