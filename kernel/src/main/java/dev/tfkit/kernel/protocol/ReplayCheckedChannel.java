package dev.tfkit.kernel.protocol;

import io.github.spencerpark.jupyter.channels.ShellChannel;
import io.github.spencerpark.jupyter.messages.Message;
import org.zeromq.ZMQ;

/**
 * A shell or control socket that refuses a correctly signed message whose signature it has already
 * accepted: someone who captured a request's frames cannot make the kernel run it again by sending
 * them again. The signature covers the header with its unique msg_id and date, so a genuine client
 * never repeats one.
 */
final class ReplayCheckedChannel extends ShellChannel {
  /** Thrown by {@link #readMessage()} for a replayed message; it has been read and is dropped. */
  static final class ReplayedMessage extends SecurityException {
    ReplayedMessage(String msgType, String msgId) {
      super("replayed " + msgType + " (msg_id " + msgId + ")");
    }
  }

  private final RememberingHmac hmac;
  private final SignatureHistory history;

  ReplayCheckedChannel(ZMQ.Context ctx, RememberingHmac hmac, SignatureHistory history, boolean control) {
    super(ctx, hmac, control, null, 0);
    this.hmac = hmac;
    this.history = history;
  }

  @Override
  public synchronized Message<?> readMessage() {
    hmac.clear();
    Message<?> message = super.readMessage();
    if (message == null) return null;
    // Only a verified message gets here (a wrong signature throws), so the signature computed while
    // reading it is the one it carried.
    String signature = hmac.lastOnThisThread();
    if (signature != null && !history.add(signature)) {
      throw new ReplayedMessage(message.getHeader().getType().getName(), message.getHeader().getId());
    }
    return message;
  }
}
