package hpio.lb.hooks;

import hpio.net.IoBuffer;
import java.io.IOException;

/**
 * What a {@link WriteQueue} may do to its flow: write to the destination socket,
 * and switch the two interests that govern it. The balancer applies the interest
 * changes to the loop after the handler returns (one epoll_ctl at most per fd).
 */
public interface FlowPort {
    /**
     * Writes to the destination socket, without blocking.
     *
     * @return bytes written (possibly fewer than asked: a short write), or
     *         {@link hpio.net.Sockets#AGAIN} when the socket's send buffer is full
     */
    int write(IoBuffer buffer, int offset, int length) throws IOException;

    /** Whether the destination is watched for WRITE ("tell me when there is room"). */
    void watchWrite(boolean on);

    /** Stop (true) or resume (false) reading the source: the destination cannot keep up. */
    void pauseSource(boolean paused);
}
