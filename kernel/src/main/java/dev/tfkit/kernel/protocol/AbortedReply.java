package dev.tfkit.kernel.protocol;

import io.github.spencerpark.jupyter.messages.ContentType;
import io.github.spencerpark.jupyter.messages.MessageType;

/** The execute_reply for a cell not run because an earlier queued cell failed (stop_on_error). */
@SuppressWarnings("unused") // fields are serialized by Gson
public final class AbortedReply implements ContentType<AbortedReply> {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final MessageType<AbortedReply> TYPE = (MessageType) MessageType.EXECUTE_REPLY;

  private final String status = "aborted";

  @Override
  public MessageType<AbortedReply> getType() {
    return TYPE;
  }
}
