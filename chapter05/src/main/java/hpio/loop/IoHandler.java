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
}
// snippet-end iohandler
