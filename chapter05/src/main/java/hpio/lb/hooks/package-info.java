/**
 * The seams where exercises 3 to 6 plug into the load balancer. The balancer
 * ships the baseline behaviour; {@code --edge-triggered}, {@code --write-buffer},
 * {@code --idle-timeout} and {@code --graceful}/{@code --drain-timeout} swap in an
 * object made by the {@link hpio.lb.hooks.ExerciseKit} on the class path: the
 * student's from {@code exercises/}, or the reference from {@code solutions/}.
 */
package hpio.lb.hooks;
