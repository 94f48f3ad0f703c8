/* The edge-lstm serial protocol app, driven from an Arduino sketch's setup() and loop(). */
#ifndef EL_APP_ARDUINO_H
#define EL_APP_ARDUINO_H

#ifdef __cplusplus
extern "C" {
#endif

/** Open Serial at 115200 baud and initialise the model. Call from setup(). */
void el_app_begin(void);

/** Answer every complete request frame waiting on Serial; never blocks. Call from loop(). */
void el_app_poll(void);

#ifdef __cplusplus
}
#endif

#endif /* EL_APP_ARDUINO_H */
