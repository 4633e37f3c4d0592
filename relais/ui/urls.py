from django.urls import include, path

from relais.ui.views import (
    audit_pages,
    auth,
    calls,
    clients,
    composer,
    contacts,
    copies,
    escalation_settings,
    home,
    inbound,
    menu,
    roles,
    search,
    tasks,
    threads,
)
from relais.ui.views import settings_pages as aids

app_name = "ui"
urlpatterns = [
    path("connexion/", auth.login_view, name="login"),
    path("deconnexion/", auth.logout_view, name="logout"),
    path("connexion/code/", auth.login_code_view, name="login_code"),
    path("", home.home, name="home"),
    path("menu/compteurs/", menu.menu_counts_view, name="menu_counts"),
    path("roles/", roles.roles_view, name="roles"),
    path("clients/", clients.client_list_view, name="clients"),
    path("clients/<str:client_id>/", clients.client_file, name="client"),
    path("clients/<str:client_id>/fils/", clients.client_threads, name="client_threads"),
    path("clients/<str:client_id>/coordonnees/", clients.client_edit, name="client_edit"),
    path("clients/<str:client_id>/parametres/", clients.client_settings, name="client_settings"),
    path(
        "clients/<str:client_id>/astreinte/",
        escalation_settings.client_on_call,
        name="client_on_call",
    ),
    path("clients/<str:client_id>/instructions/", aids.instructions_view, name="instructions"),
    path(
        "clients/<str:client_id>/instructions/<str:instruction_id>/",
        aids.instruction_edit,
        name="instruction_edit",
    ),
    path(
        "clients/<str:client_id>/instructions/<str:instruction_id>/supprimer/",
        aids.instruction_delete_view,
        name="instruction_delete",
    ),
    path("clients/<str:client_id>/contacts/", contacts.contact_search, name="contacts"),
    path("clients/<str:client_id>/contacts/nouveau/", contacts.contact_new, name="contact_new"),
    path("clients/<str:client_id>/ecrire/", composer.composer_open, name="composer"),
    path("clients/<str:client_id>/ecrire/texte/", composer.composer_text, name="composer_text"),
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
    # Message types (tasks, day tasks, urgent, client remarks): the left menu's lists.
    path("taches/", tasks.task_list_view, name="tasks"),
    path("taches/suivi/", tasks.task_follow_view, name="task_follow"),
    path("taches/jour/", tasks.day_tasks_view, name="day_tasks"),
    path("jour/", tasks.day_bar_view, name="day_bar"),
    path("urgent/", tasks.urgent_view, name="urgent"),
    path("remarques/", tasks.remarks_view, name="remarks"),
    path("copies-en-echec/", copies.failed_copies_view, name="failed_copies"),
    # Search across every client (the top bar's field).
    path("recherche/", search.search_view, name="search"),
    # Replies taken in by e-mail and SMS.
    path("reponses-a-verifier/", inbound.held_view, name="held_replies"),
    path(
        "reponses-a-verifier/<str:item_id>/rattacher/",
        inbound.held_attach_view,
        name="held_attach",
    ),
    path(
        "reponses-a-verifier/<str:item_id>/ecarter/",
        inbound.held_discard_view,
        name="held_discard",
    ),
    path("reponses/<str:reply_id>/original/", inbound.reply_original_view, name="reply_original"),
    path(
        "pieces-jointes/<str:attachment_id>/",
        inbound.reply_attachment_view,
        name="reply_attachment",
    ),
    # Message aids (gérant): templates, input-help phrases, banners.
    path("modeles/", aids.template_list_view, name="templates"),
    path("modeles/nouveau/", aids.template_new, name="template_new"),
    path("modeles/<str:template_id>/", aids.template_edit, name="template_edit"),
    path("modeles/<str:template_id>/supprimer/", aids.template_delete_view, name="template_delete"),
    path("aide-a-la-saisie/", aids.phrases_view, name="phrases"),
    path("aide-a-la-saisie/<str:phrase_id>/", aids.phrase_edit, name="phrase_edit"),
    path("aide-a-la-saisie/<str:phrase_id>/deplacer/", aids.phrase_move_view, name="phrase_move"),
    path(
        "aide-a-la-saisie/<str:phrase_id>/supprimer/",
        aids.phrase_delete_view,
        name="phrase_delete",
    ),
    path("bandeau/", aids.banners_view, name="banners"),
    path("bandeau/<str:banner_id>/supprimer/", aids.banner_delete_view, name="banner_delete"),
    # Traces, lifetimes and second factor (relais.audit).
    path(
        "messages/<str:message_id>/consultations/",
        audit_pages.message_reads_fragment,
        name="message_reads",
    ),
    path(
        "messages/<str:message_id>/effacer/", audit_pages.message_erase_view, name="message_erase"
    ),
    path("securite/consultations/", audit_pages.reads_view, name="reads"),
    path("securite/journal/", audit_pages.journal_view, name="journal"),
    path("securite/conservation/", audit_pages.retention_view, name="retention"),
    path("securite/double-authentification/", audit_pages.totp_view, name="totp"),
    # Calls: the journal, one call, the strip's ringing calls, « Prendre », the PBX settings.
    path("appels/", calls.journal_view, name="calls"),
    path("appels/en-cours/", calls.ringing_view, name="calls_ringing"),
    path("appels/<str:call_id>/", calls.call_view, name="call"),
    path("appels/<str:call_id>/prendre/", calls.take_view, name="call_take"),
    path("standard/", calls.telephony_view, name="telephony"),
    # Planning, journal of movements, activity and the « Joindre » PDFs (ui:planning:…).
    path("", include("relais.planning.urls")),
]
