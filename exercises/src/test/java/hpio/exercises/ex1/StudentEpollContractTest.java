package hpio.exercises.ex1;

import hpio.loop.EventLoopContract;

/** Exercise 1, graded by the same contract every built-in backend passes, on your backend ({@code -e student-epoll}). */
class StudentEpollContractTest extends EventLoopContract {
    @Override protected String backend() { return "student-epoll"; }

    @Override protected boolean reportsHangUp() { return true; }

    @Override protected boolean supportsEdge() { return true; }
}
