/**
 * The seams where the four exercises plug into the load balancer. The balancer
 * ships the baseline behaviour; {@code --edge-triggered}, {@code --write-buffer},
 * {@code --idle-timeout} and {@code --graceful}/{@code --drain-timeout} swap in a
 * class from {@code exercises/} (the student's) or {@code solutions/} (the
 * reference), loaded by name through {@link hpio.lb.hooks.ExerciseClasses}.
 */
package hpio.lb.hooks;
