package dev.tfkit.kernel.protocol;

import io.github.spencerpark.jupyter.channels.HeartbeatChannel;
import io.github.spencerpark.jupyter.channels.IOPubChannel;
import io.github.spencerpark.jupyter.channels.JupyterSocket;
import io.github.spencerpark.jupyter.channels.ShellChannel;
import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.channels.StdinChannel;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import io.github.spencerpark.jupyter.messages.HMACGenerator;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.MessageContext;
import io.github.spencerpark.jupyter.messages.MessageType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.zeromq.ZMQ;

/**
 * The kernel's five ZeroMQ sockets, on jupyter-jvm-basekernel's channel and message classes, with
 * its own receive loops for shell and control: they wait on the socket instead of polling every
 * 50 ms (a trivial cell answers in about a millisecond) and drop a message whose HMAC signature is
 * wrong instead of letting the exception end the loop. A correctly signed message whose signature
 * was already accepted on shell or control (the same frames sent again: a replay) is dropped too,
 * as Jupyter's own Session does.
 */
public final class KernelConnection implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(KernelConnection.class.getName());

  /** Handles one request; replies and publishes through {@code env}. */
  @FunctionalInterface
  public interface Handler<T> {
    void handle(ShellReplyEnvironment env, Message<T> message) throws Exception;
  }

  private final ZMQ.Context ctx;
  private final HeartbeatChannel heartbeat;
  private final ShellChannel shell;
  private final ShellChannel control;
  private final StdinChannel stdin;
  private final IOPubChannel iopub;
  private final Map<MessageType<?>, Handler<?>> handlers = new ConcurrentHashMap<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean abortQueued;
  private volatile long droppedBadSignature;
  private volatile long droppedReplayed;
  private Thread shellLoop;
  private Thread controlLoop;

  public KernelConnection(KernelConnectionProperties props) throws Exception {
    this.ctx = ZMQ.context(1);
    HMACGenerator hmac;
    if (props.getKey() == null || props.getKey().isEmpty()) {
      // No key, no signatures (Jupyter's "no authentication"): nothing to recognise a replay by.
      hmac = props.createHMACGenerator();
      this.shell = new ShellChannel(ctx, hmac, false, null, 0);
      this.control = new ShellChannel(ctx, hmac, true, null, 0);
    } else {
      RememberingHmac signer = new RememberingHmac(props.getSignatureScheme(), props.getKey());
      hmac = signer;
      // One history for both sockets: a request captured on one must not run on the other either.
      SignatureHistory history = new SignatureHistory(SignatureHistory.DEFAULT_CAPACITY);
      this.shell = new ReplayCheckedChannel(ctx, signer, history, false);
      this.control = new ReplayCheckedChannel(ctx, signer, history, true);
    }
    this.heartbeat = new HeartbeatChannel(ctx, hmac);
    this.stdin = new StdinChannel(ctx, hmac);
    this.iopub = new IOPubChannel(ctx, hmac);
    String base = props.getTransport() + "://" + props.getIp() + ":";
    heartbeat.bind(props);
    iopub.bind(props);
    stdin.bind(props);
    // Bound by address, not through ShellChannel.bind(props), which would start basekernel's loop.
    shell.bind(base + props.getShellPort());
    control.bind(base + props.getControlPort());
  }

  public <T> void setHandler(MessageType<T> type, Handler<T> handler) {
    handlers.put(type, handler);
  }

  public IOPubChannel iopub() {
    return iopub;
  }

  /** How many messages were dropped for a bad signature. */
  public long droppedBadSignature() {
    return droppedBadSignature;
  }

  /** How many correctly signed messages were dropped as replays of one already accepted. */
  public long droppedReplayed() {
    return droppedReplayed;
  }

  /**
   * Asks the shell loop to answer the execute requests already waiting with "aborted" (Jupyter's
   * stop_on_error: after a failed cell, the cells queued behind it do not run).
   */
  public void abortQueuedExecutes() {
    abortQueued = true;
  }

  /** Starts the shell and control loops. */
  public void start() {
    shellLoop = loop("tfkit-shell", shell);
    controlLoop = loop("tfkit-control", control);
  }

  private Thread loop(String name, ShellChannel socket) {
    Thread t =
        new Thread(
            () -> {
              ZMQ.Poller poller = ctx.poller(1);
              poller.register(socket, ZMQ.Poller.POLLIN);
              while (running) {
                int ready;
                try {
                  ready = poller.poll(100);
                } catch (RuntimeException e) {
                  if (!running) break;
                  throw e;
                }
                if (ready <= 0 || !running) continue;
                Message<?> message;
                try {
                  message = socket.readMessage();
                } catch (ReplayCheckedChannel.ReplayedMessage replay) {
                  droppedReplayed++;
                  LOG.warning(name + ": dropped a " + replay.getMessage() + ", not running it again");
                  continue;
                } catch (SecurityException badSignature) {
                  droppedBadSignature++;
                  LOG.warning(name + ": dropped a message with a bad HMAC signature");
                  continue;
                } catch (RuntimeException unreadable) {
                  LOG.log(Level.WARNING, name + ": dropped an unreadable message: " + unreadable);
                  continue;
                }
                if (message == null) continue;
                dispatch(socket, message);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void dispatch(ShellChannel socket, Message<?> message) {
    MessageType<?> type = message.getHeader().getType();
    Handler handler = handlers.get(type);
    if (handler == null) {
      LOG.fine("no handler for " + type.getName());
      return;
    }
    ReplyEnv env = new ReplyEnv(socket, stdin, iopub, message);
    try {
      handler.handle(env, message);
    } catch (Exception e) {
      LOG.log(Level.SEVERE, "handling " + type.getName() + " failed", e);
    } finally {
      // Abort what was queued behind a failed cell *before* its reply leaves: a request the client
      // sends after seeing the error reply must run, not race the abort.
      if (abortQueued && socket == shell) {
        abortQueued = false;
        abortWaiting(socket);
      }
      env.resolveDeferrals();
    }
    if (env.isMarkedForShutdown()) {
      // Stop the loops; the sockets are closed by close(), after the reply has left.
      running = false;
      closed.countDown();
      return;
    }
  }

  private void abortWaiting(ShellChannel socket) {
    ZMQ.Poller poller = ctx.poller(1);
    poller.register(socket, ZMQ.Poller.POLLIN);
    while (running && poller.poll(0) > 0) {
      Message<?> message;
      try {
        message = socket.readMessage();
      } catch (ReplayCheckedChannel.ReplayedMessage replay) {
        droppedReplayed++;
        LOG.warning("dropped a " + replay.getMessage() + ", not running it again");
        continue;
      } catch (RuntimeException dropped) {
        continue;
      }
      if (message == null) return;
      if (message.getHeader().getType() == MessageType.EXECUTE_REQUEST) {
        ReplyEnv env = new ReplyEnv(socket, stdin, iopub, message);
        env.setBusyDeferIdle();
        env.reply(new AbortedReply());
        env.resolveDeferrals();
      } else {
        dispatch(socket, message);
      }
    }
  }

  /** Blocks until {@link #close()}. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /**
   * Stops the loops and closes the sockets, first letting queued replies (a shutdown_reply, say)
   * leave: sockets linger up to a second and the ZeroMQ context is terminated, which flushes them.
   */
  @Override
  public void close() {
    running = false;
    closed.countDown();
    for (Thread t : new Thread[] {shellLoop, controlLoop}) {
      if (t != null && t != Thread.currentThread()) {
        try {
          t.join(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    for (JupyterSocket s : new JupyterSocket[] {heartbeat, shell, control, stdin, iopub}) {
      try {
        s.setLinger(1000);
        s.close();
      } catch (RuntimeException ignored) {
        // Closing is best effort; the process is ending.
      }
    }
    Thread term = new Thread(ctx::term, "tfkit-zmq-term");
    term.setDaemon(true);
    term.start();
    try {
      term.join(3000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** basekernel's reply environment; its constructor is protected, hence this subclass. */
  private static final class ReplyEnv extends ShellReplyEnvironment {
    ReplyEnv(ShellChannel shell, StdinChannel stdin, JupyterSocket iopub, MessageContext context) {
      super(shell, stdin, iopub, context);
    }
  }
}
