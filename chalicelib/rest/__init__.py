"""The REST API as Chalice blueprints, one per audience: public (visitors, the widget, the brand's server), desk
(the people in a conversation) and supervision (supervisors and admins). app.py registers them; http.py holds what
they share."""
