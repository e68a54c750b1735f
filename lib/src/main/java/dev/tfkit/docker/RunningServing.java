package dev.tfkit.docker;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A started model server from {@link DockerServing#start()}: a TF Serving container, or the fallback
 * server when no Docker engine answered. Closing it stops the container (or closes the fallback).
 */
public final class RunningServing implements AutoCloseable {

  private final String containerName; // null for a fallback server
  private final int grpcPort;
  private final int restPort;
  private final List<String> models;
  private final AutoCloseable stopper;
  private final LogTail logs;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  RunningServing(
      String containerName,
      int grpcPort,
      int restPort,
      List<String> models,
      AutoCloseable stopper,
      LogTail logs) {
    this.containerName = containerName;
    this.grpcPort = grpcPort;
    this.restPort = restPort;
    this.models = List.copyOf(models);
    this.stopper = stopper;
    this.logs = logs;
  }

  /** Marks the server stopped when {@code exit} completes (the container process ending by itself). */
  RunningServing stoppedWhen(CompletableFuture<?> exit) {
    exit.whenComplete((v, e) -> stopped.complete(null));
    return this;
  }

  /**
   * Blocks until the server has stopped: closed, or (for Docker) the container exited by itself,
   * e.g. after {@code docker stop} from elsewhere.
   */
  public void awaitStop() throws InterruptedException {
    try {
      stopped.get();
    } catch (ExecutionException e) {
      // never completed exceptionally
    }
  }

  /** Whether the server has stopped (see {@link #awaitStop()}). */
  public boolean isStopped() {
    return stopped.isDone();
  }

  /** Whether TF Serving runs in Docker (false: the fallback server is serving). */
  public boolean isDocker() {
    return containerName != null;
  }

  /** The container's name, when in Docker. */
  public Optional<String> containerName() {
    return Optional.ofNullable(containerName);
  }

  /** gRPC target for clients on this machine, e.g. {@code 127.0.0.1:8500}. */
  public String grpcTarget() {
    return "127.0.0.1:" + grpcPort;
  }

  /** REST base URL for clients on this machine, e.g. {@code http://127.0.0.1:8501}. */
  public String restUrl() {
    return "http://127.0.0.1:" + restPort;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int restPort() {
    return restPort;
  }

  /** The served model names. */
  public List<String> models() {
    return models;
  }

  /** The most recent server log lines, up to 200 (empty for a fallback server). */
  public String recentLogs() {
    return logs == null ? "" : logs.text();
  }

  /** The last {@code lines} server log lines (empty for a fallback server). */
  public String recentLogs(int lines) {
    return logs == null ? "" : logs.last(lines);
  }

  /** Stops the container (or closes the fallback server). */
  @Override
  public void close() throws Exception {
    try {
      stopper.close();
    } finally {
      stopped.complete(null);
    }
  }

  @Override
  public String toString() {
    return (isDocker() ? "TF Serving container " + containerName : "fallback server")
        + " serving " + models + " on grpc " + grpcTarget() + ", rest " + restUrl();
  }

  /** Keeps the last lines of a log, thread-safe, for error messages. */
  static final class LogTail {
    private final int max;
    private final Deque<String> lines = new ArrayDeque<>();

    LogTail(int max) {
      this.max = max;
    }

    synchronized void add(String line) {
      if (lines.size() == max) {
        lines.removeFirst();
      }
      lines.addLast(line);
    }

    synchronized String text() {
      return String.join("\n", lines);
    }

    synchronized String last(int n) {
      return String.join("\n", lines.stream().skip(Math.max(0, lines.size() - n)).toList());
    }
  }
}
