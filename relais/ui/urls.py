from django.urls import path

from relais.ui.views import auth, clients, composer, contacts, home, menu, roles, threads

app_name = "ui"
urlpatterns = [
    path("connexion/", auth.login_view, name="login"),
    path("deconnexion/", auth.logout_view, name="logout"),
    path("", home.home, name="home"),
    path("menu/compteurs/", menu.menu_counts_view, name="menu_counts"),
    path("roles/", roles.roles_view, name="roles"),
    path("clients/", clients.client_list_view, name="clients"),
    path("clients/<str:client_id>/", clients.client_file, name="client"),
    path("clients/<str:client_id>/fils/", clients.client_threads, name="client_threads"),
    path("clients/<str:client_id>/coordonnees/", clients.client_edit, name="client_edit"),
    path("clients/<str:client_id>/parametres/", clients.client_settings, name="client_settings"),
    path("clients/<str:client_id>/contacts/", contacts.contact_search, name="contacts"),
    path("clients/<str:client_id>/contacts/nouveau/", contacts.contact_new, name="contact_new"),
    path("clients/<str:client_id>/ecrire/", composer.composer_open, name="composer"),
    path("clients/<str:client_id>/messages/", composer.message_send_view, name="send"),
    path(
        "clients/<str:client_id>/destinataires/",
        composer.recipient_search,
        name="recipients",
    ),
    path("messages/<str:message_id>/", threads.thread_view, name="thread"),
    path("messages/<str:message_id>/fil/", threads.thread_poll, name="thread_poll"),
    path("messages/<str:message_id>/repondre/", threads.reply_view, name="reply"),
    path("messages/<str:message_id>/tache/", threads.task_view, name="task"),
    path("messages/<str:message_id>/non-lu/", threads.mark_unread_view, name="unread"),
]
