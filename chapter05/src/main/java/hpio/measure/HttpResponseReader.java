package hpio.measure;

import java.io.IOException;
import java.util.Arrays;

/**
 * Reads one HTTP/1.1 response at a time from bytes as they arrive, in pieces of
 * any size: the head up to the blank line, then exactly Content-Length bytes of
 * body (or, without one, everything until the server closes). Made once per
 * connection and {@link #reset()} for each request: nothing is allocated per
 * response unless a head is longer than any before it.
 */
final class HttpResponseReader {
    private static final int MAX_HEAD = 64 * 1024;
    private static final long UNTIL_CLOSE = -1;

    private byte[] head = new byte[512];
    private int headLength;
    private boolean inBody;
    private long bodyLeft;
    private boolean complete;
    private int status;
    private boolean close;

    /** Thrown for bytes that are not an HTTP/1.x response this reader understands. */
    static final class ProtocolException extends IOException {
        ProtocolException(String message) { super(message); }
    }

    void reset() {
        headLength = 0;
        inBody = complete = close = false;
        bodyLeft = 0;
        status = 0;
    }

    /** The whole response has been read. */
    boolean complete() { return complete; }

    /** The status code, once the head is read. */
    int status() { return status; }

    /** The server said "Connection: close" (or the response ends at the close). */
    boolean closes() { return close; }

    /**
     * Takes bytes {@code [offset, offset + length)}.
     *
     * @return how many were part of this response; fewer than {@code length} only
     *         when the response completed before the end of the bytes
     */
    int feed(byte[] bytes, int offset, int length) throws ProtocolException {
        if (complete) return 0;
        int i = offset;
        int end = offset + length;
        if (!inBody) {
            while (i < end && !inBody) {
                if (headLength == head.length) {
                    if (head.length >= MAX_HEAD) throw new ProtocolException("response head longer than " + MAX_HEAD);
                    head = Arrays.copyOf(head, head.length * 2);
                }
                byte b = bytes[i++];
                head[headLength++] = b;
                if (b == '\n' && headLength >= 4 && head[headLength - 2] == '\r'
                        && head[headLength - 3] == '\n' && head[headLength - 4] == '\r') {
                    parseHead();
                    inBody = true;
                }
            }
            if (!inBody) return length;
        }
        if (bodyLeft == UNTIL_CLOSE) return end - offset;
        int take = (int) Math.min(bodyLeft, end - i);
        i += take;
        bodyLeft -= take;
        if (bodyLeft == 0) complete = true;
        return i - offset;
    }

    /**
     * The server closed the connection: true when that ends a response whose
     * length is "until the close"; false when a response was cut short.
     */
    boolean endOfStream() {
        if (inBody && bodyLeft == UNTIL_CLOSE) {
            complete = true;
            return true;
        }
        return false;
    }

    private void parseHead() throws ProtocolException {
        // "HTTP/1.1 200 OK\r\n": the status is the three digits after the first space.
        if (headLength < 12 || !startsWith(0, "http/1.") || head[8] != ' ') {
            throw new ProtocolException("not an HTTP/1.x response");
        }
        status = digit(9) * 100 + digit(10) * 10 + digit(11);
        long contentLength = -1;
        int line = indexOfLineEnd(0) + 2;
        while (line < headLength - 2) {
            int lineEnd = indexOfLineEnd(line);
            if (startsWith(line, "content-length:")) {
                contentLength = parseLength(line + "content-length:".length(), lineEnd);
            } else if (startsWith(line, "transfer-encoding:")) {
                throw new ProtocolException("chunked responses are not supported by this load generator");
            } else if (startsWith(line, "connection:") && contains(line, lineEnd, "close")) {
                close = true;
            }
            line = lineEnd + 2;
        }
        boolean noBody = status / 100 == 1 || status == 204 || status == 304;
        if (noBody) bodyLeft = 0;
        else if (contentLength >= 0) bodyLeft = contentLength;
        else {
            bodyLeft = UNTIL_CLOSE;
            close = true;
        }
        if (bodyLeft == 0) complete = true;
    }

    private int digit(int at) throws ProtocolException {
        int d = head[at] - '0';
        if (d < 0 || d > 9) throw new ProtocolException("bad status code");
        return d;
    }

    private int indexOfLineEnd(int from) {
        for (int i = from; i + 1 < headLength; i++) if (head[i] == '\r' && head[i + 1] == '\n') return i;
        return headLength;
    }

    private long parseLength(int from, int to) throws ProtocolException {
        long n = 0;
        boolean any = false;
        for (int i = from; i < to; i++) {
            byte b = head[i];
            if (b == ' ' || b == '\t') continue;
            if (b < '0' || b > '9' || n > Integer.MAX_VALUE) throw new ProtocolException("bad Content-Length");
            n = n * 10 + (b - '0');
            any = true;
        }
        if (!any) throw new ProtocolException("empty Content-Length");
        return n;
    }

    /** Case-insensitive comparison with a lower-case ASCII prefix. */
    private boolean startsWith(int at, String lower) {
        if (at + lower.length() > headLength) return false;
        for (int j = 0; j < lower.length(); j++) {
            byte c = head[at + j];
            if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
            if (c != lower.charAt(j)) return false;
        }
        return true;
    }

    private boolean contains(int from, int to, String lower) {
        for (int i = from; i + lower.length() <= to; i++) if (startsWith(i, lower)) return true;
        return false;
    }
}
