package hpio.loop;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class PollLoopTest extends EventLoopContract {
    @Override String backend() { return "poll"; }
}
