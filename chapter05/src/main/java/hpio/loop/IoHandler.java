package hpio.loop;

import java.io.IOException;

/**
 * What the loop calls when a registered fd is ready: the Java form of the chapter's
 * callback plus user_data pair (the handler object carries its own context).
 */
// snippet-start iohandler
@FunctionalInterface
public interface IoHandler {
    /**
     * @param fd     the ready descriptor
     * @param events what happened: {@link Events#READ}, {@link Events#WRITE},
     *               {@link Events#ERROR}, {@link Events#HUP} (any combination)
     */
    void onEvent(int fd, int events) throws IOException;

    /**
     * {@link #onEvent} threw {@code cause}: clean up (close the connection this fd
     * belongs to). After this returns, the loop removes {@code fd} if it is still
     * registered; closing it stays the owner's job. The default does nothing more.
     */
    default void onFailure(int fd, Exception cause) throws IOException {}
}
// snippet-end iohandler
