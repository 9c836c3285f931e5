"""Web callback (issue 13, CB-1 to CB-12), pure rules: slots and bookings (slots.py), the numbers Guichet may dial
(numbers.py), attempts, retries and expiry (attempts.py), which calls are recorded (recording.py), and the
tenant's callback settings that gather them (settings.py)."""
