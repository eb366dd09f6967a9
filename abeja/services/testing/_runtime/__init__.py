"""The platform's model runtime, emulated: a handler run in this process or as an
abejaruntime process, behind the serving proxy's rules."""
