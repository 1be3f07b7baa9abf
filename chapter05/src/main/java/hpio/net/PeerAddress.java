package hpio.net;

/**
 * Where an accepted connection came from: an IPv4 address and port, filled in
 * place by {@link Sockets#accept} so accepting allocates nothing.
 */
public final class PeerAddress {
    private int ipv4;
    private int port;

    public void set(int ipv4, int port) {
        this.ipv4 = ipv4;
        this.port = port;
    }

    /** The address in network order as an int (127.0.0.1 is 0x7f000001). */
    public int ipv4() { return ipv4; }

    public int port() { return port; }

    public static String formatIpv4(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    @Override
    public String toString() { return formatIpv4(ipv4) + ":" + port; }
}
